package io.kingbus.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code kingbus-operator [--namespace NS]... [--metrics-port N]}: runs the operator until stopped. */
@Command(name = "kingbus-operator", mixinStandardHelpOptions = true,
        description = "Runs the kingbus Kubernetes operator (KingbusCluster, BinlogSyncer) against the current "
                + "kubeconfig context, or the in-cluster service account.")
public final class OperatorMain implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(OperatorMain.class);

    @Option(names = {"-n", "--namespace"}, split = ",", paramLabel = "NS",
            description = "Namespace to watch (repeat or comma-separate; default: all namespaces).")
    List<String> namespaces = List.of();

    @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "8080",
            description = "Port of the HTTP /metrics endpoint (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int metricsPort;

    public static void main(String[] args) {
        System.exit(new CommandLine(new OperatorMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        KubernetesClient client = new KubernetesClientBuilder().build();
        KingbusOperator operator = KingbusOperator.builder(client).namespaces(Set.copyOf(namespaces)).build();
        MetricsServer metrics = new MetricsServer(metricsPort, operator::scrape);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("kingbus-operator stopping");
            operator.close();
            metrics.close();
            client.close();
            stopped.countDown();
        }, "kingbus-operator-shutdown"));
        operator.start();
        log.info("kingbus-operator started: API server {}, namespaces {}, metrics on :{}/metrics",
                client.getMasterUrl(), namespaces.isEmpty() ? "all" : namespaces, metrics.port());
        stopped.await();
        return 0;
    }
}
