package dev.lfm2vl.kernels;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool of daemon worker threads for data-parallel kernels (kernel-techniques.md §5).
 * {@link #run} hands out task indices 0..tasks-1 from an atomic counter; the calling thread works too and
 * returns when every index has run. Dispatch allocates nothing: a generation counter wakes the workers, who
 * spin ({@link Thread#onSpinWait}) for {@link #SPIN_NANOS} and then park.
 *
 * <p>Threading contract: one {@code run} at a time per pool. A {@code run} issued while another is in
 * progress (from a task, or from another thread) does not deadlock: it runs all its tasks on its own
 * calling thread.
 */
public final class Parallel implements AutoCloseable {

    /** One unit of work; implementations are pre-allocated and reused by the caller. */
    @FunctionalInterface
    public interface Task {
        void run(int index);
    }

    /** How long an idle worker (or a waiting caller) spins before parking. */
    static final long SPIN_NANOS = 200_000;

    private static final Parallel SEQUENTIAL = new Parallel(1);

    private final int threads;
    private final Thread[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger finished = new AtomicInteger();
    private volatile int generation;
    private volatile boolean closed;
    private volatile Thread waiter; // the caller while parked waiting for the workers
    private final AtomicInteger sleepers = new AtomicInteger(); // workers that may be parked
    private Task task;     // published by the volatile write to generation
    private int taskCount; // idem
    private volatile Throwable failure;

    private Parallel(int threads) {
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int id = i;
            Thread t = new Thread(() -> workerLoop(id), "lfm2vl-kernel-" + (i + 1));
            t.setDaemon(true);
            workers[i] = t;
        }
        for (Thread t : workers) {
            t.start();
        }
    }

    /** A pool with {@code threads} threads in total (the caller counts as one). */
    public static Parallel create(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1: " + threads);
        }
        return threads == 1 ? new Parallel(1) : new Parallel(threads);
    }

    /** A pool as wide as the available processors. */
    public static Parallel create() {
        return create(Runtime.getRuntime().availableProcessors());
    }

    /** The shared single-thread pool: every task runs on the caller, in index order. */
    public static Parallel sequential() {
        return SEQUENTIAL;
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code task.run(i)} for every i in [0, tasks), spread over the pool; returns when all are done. */
    public void run(int tasks, Task task) {
        if (tasks <= 0) {
            return;
        }
        if (tasks == 1 || workers.length == 0 || closed || !busy.compareAndSet(false, true)) {
            for (int i = 0; i < tasks; i++) {
                task.run(i);
            }
            return;
        }
        try {
            this.task = task;
            this.taskCount = tasks;
            this.failure = null;
            next.set(0);
            finished.set(0);
            generation = generation + 1; // volatile write: publishes task/taskCount to the workers
            wakeParked();
            Throwable mine = null;
            try {
                work(task, tasks);
            } catch (Throwable t) {
                mine = t;
                next.set(tasks); // stop handing out work
            }
            awaitWorkers();
            this.task = null;
            Throwable theirs = failure;
            if (mine != null || theirs != null) {
                Throwable t = mine != null ? mine : theirs;
                if (t instanceof RuntimeException r) {
                    throw r;
                }
                if (t instanceof Error e) {
                    throw e;
                }
                throw new RuntimeException(t);
            }
        } finally {
            busy.set(false);
        }
    }

    private void work(Task task, int tasks) {
        for (int i; (i = next.getAndIncrement()) < tasks; ) {
            task.run(i);
        }
    }

    private void wakeParked() {
        if (sleepers.get() > 0) { // pairs with the worker's sleepers++ then generation re-check (both SC)
            for (Thread t : workers) {
                LockSupport.unpark(t);
            }
        }
    }

    private void awaitWorkers() {
        int expect = workers.length;
        long start = System.nanoTime();
        while (finished.get() < expect) {
            if (System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                waiter = Thread.currentThread();
                if (finished.get() < expect) {
                    LockSupport.parkNanos(100_000);
                }
                waiter = null;
            }
        }
    }

    private void workerLoop(int id) {
        int seen = 0;
        while (true) {
            long start = System.nanoTime();
            int gen;
            while ((gen = generation) == seen && !closed) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    sleepers.incrementAndGet();
                    if (generation == seen && !closed) {
                        LockSupport.park(this);
                    }
                    sleepers.decrementAndGet();
                }
            }
            if (closed) {
                return;
            }
            seen = gen;
            try {
                work(task, taskCount);
            } catch (Throwable t) {
                failure = t;
                next.set(Integer.MAX_VALUE / 2);
            }
            if (finished.incrementAndGet() == workers.length) {
                Thread w = waiter;
                if (w != null) {
                    LockSupport.unpark(w);
                }
            }
        }
    }

    /** Stops the workers (they are daemons, so forgetting this only keeps idle threads around). */
    @Override
    public void close() {
        if (this == SEQUENTIAL) {
            return;
        }
        closed = true;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
    }

    @Override
    public String toString() {
        return "Parallel[" + threads + " threads]";
    }
}
