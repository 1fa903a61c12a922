package dev.lfm2vl.server;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * A map bounded by the total size of its values (e.g. bytes), dropping the least recently used entries first. Used by
 * one thread at a time (the engine's scheduler), so it is not synchronized.
 */
final class LruCache<K, V> {
    private final long capacity;
    private final ToLongFunction<V> sizeOf;
    private final LinkedHashMap<K, V> map = new LinkedHashMap<>(16, 0.75f, true);
    private long size;

    LruCache(long capacity, ToLongFunction<V> sizeOf) {
        this.capacity = capacity;
        this.sizeOf = sizeOf;
    }

    V get(K key) {
        return map.get(key);
    }

    /** Stores {@code value} (a value larger than the whole capacity is not kept), evicting old entries to fit it. */
    void put(K key, V value) {
        long s = sizeOf.applyAsLong(value);
        if (s > capacity) {
            return;
        }
        V old = map.remove(key);
        if (old != null) {
            size -= sizeOf.applyAsLong(old);
        }
        var it = map.entrySet().iterator();
        while (size + s > capacity && it.hasNext()) {
            Map.Entry<K, V> eldest = it.next();
            size -= sizeOf.applyAsLong(eldest.getValue());
            it.remove();
        }
        map.put(key, value);
        size += s;
    }

    int entries() {
        return map.size();
    }

    long size() {
        return size;
    }
}
