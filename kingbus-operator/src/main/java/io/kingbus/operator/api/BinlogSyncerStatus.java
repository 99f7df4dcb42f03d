package io.kingbus.operator.api;

import io.fabric8.kubernetes.api.model.Condition;

import java.util.ArrayList;
import java.util.List;

/** What GET /binlog/syncer/status reported last (never the credentials). */
/** Written whole by {@code StatusWriter}: a null field is left out. */
@com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
public class BinlogSyncerStatus {
    public Long observedGeneration;
    /** running, connecting, error, stopped (the node's words), or unknown while no node answers. */
    public String state;
    public String executedGtidSet;
    public String purgedGtidSet;
    public String lastBinlogFile;
    public Long lastFilePosition;
    public Long lagSeconds;
    public String lastError;
    /** resourceVersion of the credentials Secret the running syncer was started with (a change restarts it). */
    public String credentialsVersion;
    public List<Condition> conditions = new ArrayList<>();
}
