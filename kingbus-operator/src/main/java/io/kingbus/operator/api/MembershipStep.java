package io.kingbus.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Pattern;

/**
 * One membership change in flight. An add goes WaitingForPod (StatefulSet raised by one) → Joining (POST /members
 * sent) → done when the member is a ready voter; a remove goes Removing (DELETE /members sent) → Shrinking
 * (StatefulSet lowered by one) → done when the pod is gone.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MembershipStep {
    public static final String ADD = "add";
    public static final String REMOVE = "remove";
    public static final String WAITING_FOR_POD = "WaitingForPod";
    public static final String JOINING = "Joining";
    public static final String REMOVING = "Removing";
    public static final String SHRINKING = "Shrinking";

    @Pattern("^(add|remove)$")
    public String action;
    public String member;
    public String startedAt;
    public String state;

    public MembershipStep() {
    }

    public MembershipStep(String action, String member, String startedAt, String state) {
        this.action = action;
        this.member = member;
        this.startedAt = startedAt;
        this.state = state;
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isAdd() {
        return ADD.equals(action);
    }
}
