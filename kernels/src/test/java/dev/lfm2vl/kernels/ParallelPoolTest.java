package dev.lfm2vl.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The pool runs every index exactly once per dispatch, survives many dispatches, nesting and failures. */
class ParallelPoolTest {

    @Test
    void everyIndexRunsExactlyOncePerDispatchOverManyDispatches() {
        for (int threads : new int[] {1, 2, 3}) {
            try (Parallel pool = Parallel.create(threads)) {
                assertEquals(threads, pool.threads());
                AtomicIntegerArray hits = new AtomicIntegerArray(97);
                Parallel.Task task = hits::incrementAndGet;
                for (int round = 0; round < 2000; round++) {
                    pool.run(97, task);
                }
                for (int i = 0; i < 97; i++) {
                    assertEquals(2000, hits.get(i), threads + " threads, index " + i);
                }
            }
        }
    }

    @Test
    void workersThatParkedWakeUpForTheNextDispatch() throws InterruptedException {
        try (Parallel pool = Parallel.create(3)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(8);
            pool.run(8, hits::incrementAndGet);
            Thread.sleep(5); // well past the spin window: the workers park
            pool.run(8, hits::incrementAndGet);
            for (int i = 0; i < 8; i++) {
                assertEquals(2, hits.get(i));
            }
        }
    }

    @Test
    void nestedRunExecutesOnTheCallingThreadInsteadOfDeadlocking() {
        try (Parallel pool = Parallel.create(2)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(4 * 5);
            pool.run(4, outer -> pool.run(5, inner -> hits.incrementAndGet(outer * 5 + inner)));
            for (int i = 0; i < 20; i++) {
                assertEquals(1, hits.get(i));
            }
        }
    }

    @Test
    void aTaskFailureIsRethrownToTheCallerAndThePoolStaysUsable() {
        try (Parallel pool = Parallel.create(3)) {
            IllegalStateException boom = new IllegalStateException("boom");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run(50, i -> {
                if (i == 17) {
                    throw boom;
                }
            }));
            assertSame(boom, e);
            AtomicIntegerArray hits = new AtomicIntegerArray(10);
            pool.run(10, hits::incrementAndGet);
            for (int i = 0; i < 10; i++) {
                assertEquals(1, hits.get(i));
            }
        }
    }

    @Test
    void sequentialPoolRunsInIndexOrderOnTheCaller() {
        Parallel seq = Parallel.sequential();
        assertEquals(1, seq.threads());
        int[] order = new int[6];
        int[] n = {0};
        Thread caller = Thread.currentThread();
        seq.run(6, i -> {
            assertSame(caller, Thread.currentThread());
            order[n[0]++] = i;
        });
        for (int i = 0; i < 6; i++) {
            assertEquals(i, order[i]);
        }
    }
}
