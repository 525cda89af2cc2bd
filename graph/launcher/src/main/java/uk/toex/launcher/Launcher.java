package uk.toex.launcher;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.kernel.internal.GraphDatabaseAPI;

/**
 * Embedded Neo4j Community DBMS for toex development, demos and tests.
 *
 * <p>Starts a DBMS with only the Bolt connector on 127.0.0.1, prints exactly one
 * line {@code TOEX_NEO4J_READY bolt://127.0.0.1:PORT} on stdout when it accepts
 * connections, and shuts down cleanly on SIGTERM/SIGINT. Port 0 picks a free port;
 * the chosen one is printed and, with {@code --port-file}, written to a file.
 * With {@code --watch-pid} it also exits when that process dies, so a test run that
 * is killed never leaves a database behind.
 */
public final class Launcher {

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        Options opts;
        try {
            opts = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("toex-neo4j: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }

        Files.createDirectories(opts.dataDir);
        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(opts.dataDir);
        // toex's page statements take 0.3-1.5 s each to plan on two cores, and a plan is
        // anchored on an index seek by key, so a few more rows do not change it: Neo4j's
        // 10 s default replanned them on analysts' requests after every small ingest.
        // At most every 10 minutes instead, and toex's own refresh (graph/src/queries/
        // warm.rs) runs them in the background when it is due. A config file may say
        // otherwise.
        builder.setConfig(GraphDatabaseSettings.cypher_min_replan_interval, Duration.ofMinutes(10));
        if (opts.configFile != null) {
            // Operator tuning (neo4j.conf syntax); the flags below still decide where Neo4j
            // listens, its memory and authentication.
            builder.loadPropertiesFromFile(opts.configFile);
        }
        builder.setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(opts.host, opts.port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(opts.host, opts.port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, opts.password != null)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(opts.pageCacheMib))
                .setConfig(GraphDatabaseSettings.memory_transaction_global_max_size, ByteUnit.mebiBytes(opts.txMemoryMib))
                .setConfig(GraphDatabaseSettings.shutdown_transaction_end_timeout, Duration.ofSeconds(5));
        DatabaseManagementService dbms = builder.build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("toex-neo4j: shutting down");
            dbms.shutdown();
            stopped.countDown();
        }, "toex-neo4j-shutdown"));

        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        if (opts.password != null) {
            setInitialPassword(dbms, opts.password);
        }
        int boltPort = ((GraphDatabaseAPI) db).getDependencyResolver()
                .resolveDependency(ConnectorPortRegister.class)
                .getLocalAddress(ConnectorType.BOLT)
                .getPort();
        if (opts.portFile != null) {
            Path tmp = opts.portFile.resolveSibling(opts.portFile.getFileName() + ".tmp");
            Files.writeString(tmp, Integer.toString(boltPort), StandardCharsets.UTF_8);
            Files.move(tmp, opts.portFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        System.out.println("TOEX_NEO4J_READY bolt://" + opts.host + ":" + boltPort);
        System.out.flush();

        if (opts.watchPid > 0) {
            watchParent(opts.watchPid);
        }
        stopped.await();
    }

    /** Sets the password of the built-in {@code neo4j} user, so clients log in without a forced change. */
    private static void setInitialPassword(DatabaseManagementService dbms, String password) {
        GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        system.executeTransactionally(
                "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                java.util.Map.of("password", password));
    }

    private static void watchParent(long pid) {
        Thread watcher = new Thread(() -> {
            while (true) {
                boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                if (!alive) {
                    System.err.println("toex-neo4j: watched process " + pid + " is gone, exiting");
                    System.exit(0);
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "toex-neo4j-watch-parent");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** Command-line options; every value is validated before Neo4j starts. */
    static final class Options {
        static final String USAGE = "usage: toex-neo4j --data-dir DIR [--host 127.0.0.1] [--port 7687] "
                + "[--port-file FILE] [--page-cache-mib 256] [--tx-memory-mib 512] [--password PW] [--watch-pid PID] "
                + "[--config neo4j.conf]";

        Path dataDir;
        String host = "127.0.0.1";
        int port = 7687;
        Path portFile;
        long pageCacheMib = 256;
        long txMemoryMib = 512;
        String password;
        long watchPid;
        Path configFile;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value for " + flag);
                }
                String value = args[++i];
                switch (flag) {
                    case "--data-dir" -> o.dataDir = Path.of(value).toAbsolutePath();
                    case "--host" -> o.host = value;
                    case "--port" -> o.port = parseRange(flag, value, 0, 65535);
                    case "--port-file" -> o.portFile = Path.of(value).toAbsolutePath();
                    case "--page-cache-mib" -> o.pageCacheMib = parseRange(flag, value, 8, 1 << 20);
                    case "--tx-memory-mib" -> o.txMemoryMib = parseRange(flag, value, 16, 1 << 20);
                    case "--password" -> o.password = value.isEmpty() ? null : value;
                    case "--watch-pid" -> o.watchPid = parseRange(flag, value, 1, Integer.MAX_VALUE);
                    case "--config" -> o.configFile = readableFile(flag, value);
                    default -> throw new IllegalArgumentException("unknown option " + flag);
                }
            }
            if (o.dataDir == null) {
                throw new IllegalArgumentException("--data-dir is required");
            }
            return o;
        }

        private static Path readableFile(String flag, String value) {
            Path path = Path.of(value).toAbsolutePath();
            if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
                throw new IllegalArgumentException(flag + " must name a readable file, got '" + value + "'");
            }
            return path;
        }

        private static int parseRange(String flag, String value, int min, int max) {
            try {
                int n = Integer.parseInt(value);
                if (n < min || n > max) {
                    throw new IllegalArgumentException(flag + " must be between " + min + " and " + max + ", got " + value);
                }
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " must be a number, got '" + value + "'");
            }
        }
    }
}
