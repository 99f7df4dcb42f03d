package io.kingbus.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;

/** A Secret in the resource's namespace holding a MySQL user name and password. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SecretKeys {
    @Required
    public String name;

    @Default("user")
    public String userKey = "user";

    @Default("password")
    public String passwordKey = "password";

    public SecretKeys() {
    }

    public SecretKeys(String name) {
        this.name = name;
    }
}
