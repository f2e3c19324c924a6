package datagraph.harness;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilders;
import org.neo4j.io.ByteUnit;

/**
 * Runs one throwaway Neo4j for a test session.
 *
 * <p>Usage: {@code HarnessLauncher [WORK_DIR]}. Prints {@code BOLT_URI=bolt://127.0.0.1:PORT} on one line
 * once Bolt accepts connections, then serves until standard input closes or the JVM gets SIGTERM. Closing
 * on end of input means the server dies with the process that started it, even if that process is killed.
 */
public final class HarnessLauncher {
    private static final String URI_PREFIX = "BOLT_URI=";

    private HarnessLauncher() {}

    public static void main(String[] args) throws IOException {
        Path workDir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("neo4j-harness");
        Files.createDirectories(workDir);

        Neo4j neo4j = Neo4jBuilders.newInProcessBuilder(workDir)
                // HTTP is not used by the tests; leaving it off saves startup time.
                .withDisabledServer()
                .withConfig(BoltConnector.enabled, true)
                // Port 0: the OS picks a free loopback port, so parallel sessions never collide.
                .withConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", 0))
                .withConfig(GraphDatabaseSettings.auth_enabled, false)
                // Small for tests; benchmarks on large graphs raise it (-Ddatagraph.pagecache.mb=...).
                .withConfig(GraphDatabaseSettings.pagecache_memory,
                        ByteUnit.mebiBytes(Long.getLong("datagraph.pagecache.mb", 256L)))
                // The store is thrown away at exit, so durability work is wasted time.
                .withConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .withConfig(GraphDatabaseSettings.preallocate_store_files, false)
                // Bolt's graceful shutdown waits about ten seconds for idle client connections by default;
                // at the end of a test session nothing is left to wait for.
                .withConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .withConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(2))
                .withConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(2))
                .build();

        // Runs on SIGTERM, SIGINT and normal exit alike.
        Runtime.getRuntime().addShutdownHook(new Thread(neo4j::close, "neo4j-harness-shutdown"));

        URI bolt = neo4j.boltURI();
        // Without the path the harness appends: drivers reject a path in a Bolt URI.
        System.out.println(URI_PREFIX + bolt.getScheme() + "://" + bolt.getHost() + ":" + bolt.getPort());
        System.out.flush();

        waitForEndOfInput(System.in);
        System.exit(0);
    }

    private static void waitForEndOfInput(InputStream in) {
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) != -1) {
                // Input carries no commands; only its end matters.
            }
        } catch (IOException closed) {
            // A broken pipe means the parent is gone: shut down as on end of input.
        }
    }
}
