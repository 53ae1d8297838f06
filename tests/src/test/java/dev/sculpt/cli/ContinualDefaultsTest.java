package dev.sculpt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.osft.RankPolicy;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code sculpt continual}'s defaults for a pre-trained base: the given model is protected from the first task on
 * unless told not to, and the preserved rank follows the schedule (t-1)/T, the policy that kept earlier tasks on the
 * stories260K retention benchmark (bench/RESULTS.md).
 */
class ContinualDefaultsTest {
    private static ContinualCommand parse(String... extra) {
        ContinualCommand c = new ContinualCommand();
        String[] base = {"--model", "m", "--tasks", "a.jsonl", "--out", "o"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        new CommandLine(c).parseArgs(all);
        return c;
    }

    @Test
    void protectInitialIsTheDefaultAndCanBeTurnedOff() {
        assertTrue(parse().options(dev.sculpt.backend.Backends.cpu()).protectInitial());
        assertTrue(parse("--protect-initial").options(dev.sculpt.backend.Backends.cpu()).protectInitial());
        assertFalse(parse("--no-protect-initial").options(dev.sculpt.backend.Backends.cpu()).protectInitial());
    }

    @Test
    void theScheduleIsTheDefaultRankPolicy() {
        assertEquals(RankPolicy.Kind.SCHEDULE, parse().options(dev.sculpt.backend.Backends.cpu()).rankPolicy().kind());
        assertEquals(RankPolicy.Kind.IMPORTANCE, parse("--rank-policy", "importance").options(dev.sculpt.backend.Backends.cpu()).rankPolicy().kind());
    }
}
