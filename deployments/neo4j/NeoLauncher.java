import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;

/**
 * Runs a real Neo4j community server for tests: the embedded database
 * management service with its Bolt connector on a loopback port, auth
 * enabled and the neo4j user's password set. A test fixture, not a product.
 *
 * <p>Usage: {@code java -cp CLASSPATH NeoLauncher.java DIR PORT PASSWORD}
 * (PORT 0: a free port). It prints "NEO4J READY bolt://127.0.0.1:PORT" once
 * Bolt accepts authenticated sessions, writes the URI to DIR/bolt-uri, and
 * runs until it is sent SIGTERM (or SIGINT), when it shuts down cleanly.
 */
public final class NeoLauncher {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: NeoLauncher DIR PORT PASSWORD");
            System.exit(2);
        }
        Path dir = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        String password = args[2];
        if (password.length() < 8) {
            System.err.println("the password needs at least 8 characters");
            System.exit(2);
        }
        if (port == 0) {
            port = freePort();
        }
        long t0 = System.nanoTime();
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(dir.resolve("home"))
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, 64L * 1024 * 1024)
                .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofSeconds(60))
                .build();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("NEO4J STOPPING");
            dbms.shutdown();
            stop.countDown();
        }));
        // The neo4j user starts with password "neo4j" and must change it;
        // set ours through the system database, as an admin would.
        GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        system.executeTransactionally("ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
        String uri = "bolt://127.0.0.1:" + port;
        Files.writeString(dir.resolve("bolt-uri"), uri + "\n", StandardCharsets.UTF_8);
        System.out.printf("NEO4J READY %s (started in %.1f s)%n", uri, (System.nanoTime() - t0) / 1e9);
        System.out.flush();
        stop.await();
    }

    /** A free loopback port (it may be taken again before Neo4j binds it; run.sh retries). */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
