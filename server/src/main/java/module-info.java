/**
 * The OpenAI-compatible chat server over the runtime (JDK {@code HttpServer}, Jackson's tree model for the JSON, so
 * nothing is bound by reflection and no package is opened).
 */
module dev.lfm2vl.server {
    requires transitive dev.lfm2vl.runtime;
    requires com.fasterxml.jackson.databind;
    requires java.net.http;
    requires jdk.httpserver;

    exports dev.lfm2vl.server;
}
