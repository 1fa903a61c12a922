package dev.lfm2vl.runtime.structured;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.List;

/** The independent check: networknt's JSON Schema validator (draft 2020-12, format assertions on). */
final class SchemaValidator {
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    private SchemaValidator() {}

    /** The validator's errors for {@code json} under {@code schema} (empty: valid). */
    static List<Error> errors(String schema, String json) {
        Schema s = REGISTRY.getSchema(schema, InputFormat.JSON);
        return s.validate(json, InputFormat.JSON, ctx -> ctx.executionConfig(b -> b.formatAssertionsEnabled(true)));
    }
}
