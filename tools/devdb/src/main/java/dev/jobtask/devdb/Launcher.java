package dev.jobtask.devdb;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

/**
 * Local / test MongoDB wire-protocol server for the project, built on mongo-java-server.
 *
 * <pre>
 * java -jar devdb.jar [--host H] [--port P] [--memory | --data-dir DIR] [--exit-on-stdin-eof]
 * </pre>
 *
 * Once the server listens it prints exactly one line {@code READY <host>:<port>} to stdout.
 * Every diagnostic goes to stderr.
 */
public final class Launcher {

    static final String DEFAULT_HOST = "127.0.0.1";
    static final int DEFAULT_PORT = 27017;
    static final String DATA_FILE_NAME = "devdb.mv.db";

    private static final String USAGE =
        "usage: devdb [--host H] [--port P] [--memory | --data-dir DIR] [--exit-on-stdin-eof]\n"
            + "  --host H             address to listen on (default " + DEFAULT_HOST + ")\n"
            + "  --port P             port to listen on, 0 = pick a free one (default " + DEFAULT_PORT + ")\n"
            + "  --memory             in-memory backend, nothing is kept (the default)\n"
            + "  --data-dir DIR       H2 file backend in DIR/" + DATA_FILE_NAME + " (DIR is created)\n"
            + "  --exit-on-stdin-eof  shut down when standard input reaches end of file\n";

    /**
     * The MongoDB version the server advertises. pymongo 4.x refuses servers whose maxWireVersion
     * is below its minimum (9 for pymongo 4.18+), and mongo-java-server 1.47.0's own
     * {@code ServerVersion.MONGO_5_0} only advertises wire version 8.
     */
    enum AdvertisedVersion implements MongoVersion {
        MONGO_6_0(List.of(6, 0, 0, 0), 17);

        private final List<Integer> versionArray;
        private final int wireVersion;

        AdvertisedVersion(List<Integer> versionArray, int wireVersion) {
            this.versionArray = versionArray;
            this.wireVersion = wireVersion;
        }

        @Override
        public List<Integer> getVersionArray() {
            return versionArray;
        }

        @Override
        public int getWireVersion() {
            return wireVersion;
        }
    }

    /** Parsed command line. */
    static final class Options {
        String host = DEFAULT_HOST;
        int port = DEFAULT_PORT;
        boolean memory;
        Path dataDir;
        boolean exitOnStdinEof;
        boolean help;
    }

    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    private Launcher() {
    }

    public static void main(String[] args) {
        Options options;
        try {
            options = parse(args);
        } catch (UsageException e) {
            System.exit(fail(2, e.getMessage() + " (try --help)"));
            return;
        }
        if (options.help) {
            System.out.print(USAGE);
            System.out.flush();
            return;
        }
        System.exit(run(options));
    }

    static Options parse(String[] args) throws UsageException {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                value = arg.substring(eq + 1);
                arg = arg.substring(0, eq);
            }
            switch (arg) {
                case "-h":
                case "--help":
                    o.help = true;
                    break;
                case "--host":
                    if (value == null) {
                        value = requireValue(args, ++i, arg);
                    }
                    if (value.isBlank()) {
                        throw new UsageException("--host must not be empty");
                    }
                    o.host = value;
                    break;
                case "--port":
                    if (value == null) {
                        value = requireValue(args, ++i, arg);
                    }
                    try {
                        o.port = Integer.parseInt(value.trim());
                    } catch (NumberFormatException e) {
                        throw new UsageException("invalid --port '" + value + "': not a number");
                    }
                    if (o.port < 0 || o.port > 65535) {
                        throw new UsageException("invalid --port " + o.port + ": must be 0..65535");
                    }
                    break;
                case "--memory":
                    if (value != null) {
                        throw new UsageException("--memory takes no value");
                    }
                    o.memory = true;
                    break;
                case "--data-dir":
                    if (value == null) {
                        value = requireValue(args, ++i, arg);
                    }
                    if (value.isBlank()) {
                        throw new UsageException("--data-dir must not be empty");
                    }
                    o.dataDir = Paths.get(value);
                    break;
                case "--exit-on-stdin-eof":
                    if (value != null) {
                        throw new UsageException("--exit-on-stdin-eof takes no value");
                    }
                    o.exitOnStdinEof = true;
                    break;
                default:
                    throw new UsageException("unknown argument '" + args[i] + "'");
            }
        }
        if (o.memory && o.dataDir != null) {
            throw new UsageException("--memory and --data-dir are mutually exclusive");
        }
        if (o.dataDir == null) {
            o.memory = true;
        }
        return o;
    }

    private static String requireValue(String[] args, int i, String option) throws UsageException {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new UsageException(option + " needs a value");
        }
        return args[i];
    }

    static int run(Options options) {
        MongoBackend backend;
        String backendDescription;
        try {
            if (options.memory) {
                backend = new MemoryBackend();
                backendDescription = "memory";
            } else {
                Path dir = options.dataDir.toAbsolutePath().normalize();
                Files.createDirectories(dir);
                Path file = dir.resolve(DATA_FILE_NAME);
                backend = new H2Backend(file.toString());
                backendDescription = "h2:" + file;
            }
        } catch (IOException e) {
            return fail(1, "cannot create data directory " + options.dataDir + ": "
                + e.getClass().getSimpleName() + " " + describe(e));
        } catch (RuntimeException e) {
            return fail(1, "cannot open data store in " + options.dataDir + ": " + describe(e));
        }
        backend.version(AdvertisedVersion.MONGO_6_0);

        MongoServer server = new MongoServer(backend);
        try {
            server.bind(options.host, options.port);
        } catch (Exception e) { // netty rethrows the checked BindException undeclared
            quietShutdown(server);
            String where = formatAddress(options.host, options.port);
            if (hasCause(e, UnresolvedAddressException.class)) {
                return fail(1, "cannot resolve host '" + options.host + "'");
            }
            if (hasCause(e, BindException.class)) {
                return fail(1, "cannot listen on " + where + ": " + describe(rootCause(e)));
            }
            return fail(1, "cannot start server on " + where + ": " + describe(rootCause(e)));
        }

        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean shutdownDone = new AtomicBoolean();
        Runnable shutdown = () -> {
            if (shutdownDone.compareAndSet(false, true)) {
                try {
                    server.shutdownNow();
                } catch (Exception e) {
                    System.err.println("devdb: error during shutdown: " + describe(e));
                } finally {
                    stopped.countDown();
                }
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(shutdown, "devdb-shutdown"));

        InetSocketAddress bound = server.getLocalAddress();
        int port = bound != null ? bound.getPort() : options.port;
        PrintStream out = System.out;
        out.println("READY " + formatAddress(options.host, port));
        out.flush();
        System.err.println("devdb: listening on " + formatAddress(options.host, port)
            + " (" + backendDescription + ", advertising MongoDB "
            + AdvertisedVersion.MONGO_6_0.toVersionString() + " / wire version "
            + AdvertisedVersion.MONGO_6_0.getWireVersion() + ")");

        if (options.exitOnStdinEof) {
            Thread watcher = new Thread(() -> {
                waitForEof(System.in);
                System.err.println("devdb: stdin closed, shutting down");
                System.exit(0); // runs the shutdown hook
            }, "devdb-stdin-watcher");
            watcher.setDaemon(true);
            watcher.start();
        }

        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            shutdown.run();
        }
        return 0;
    }

    private static void waitForEof(InputStream in) {
        byte[] buffer = new byte[1024];
        try {
            while (in.read(buffer) >= 0) {
                // discard
            }
        } catch (IOException e) {
            // treat a broken stdin like EOF
        }
    }

    private static void quietShutdown(MongoServer server) {
        try {
            server.shutdownNow();
        } catch (Exception ignored) {
            // best effort: we are exiting with an error anyway
        }
    }

    static String formatAddress(String host, int port) {
        if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
            return "[" + host + "]:" + port;
        }
        return host + ":" + port;
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }

    private static String describe(Throwable t) {
        String message = t.getMessage();
        if (message == null || message.isBlank()) {
            return t.getClass().getSimpleName();
        }
        return message.replace('\n', ' ').trim();
    }

    private static int fail(int status, String message) {
        System.err.println("devdb: error: " + message);
        System.err.flush();
        return status;
    }
}
