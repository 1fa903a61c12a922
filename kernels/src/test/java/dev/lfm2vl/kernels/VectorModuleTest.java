package dev.lfm2vl.kernels;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VectorModuleTest {

    @Test
    void theTestJvmHasTheModuleSoRequirePasses() {
        // the suite runs with --add-modules jdk.incubator.vector (pom.xml lfm2vl.jvmFlags); the missing case runs in
        // a child JVM in runtime's MissingVectorModuleTest
        assertTrue(VectorModule.present());
        assertDoesNotThrow(VectorModule::require);
    }
}
