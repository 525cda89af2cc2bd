import java.nio.file.Path;
import java.time.*;
import java.util.*;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.dbms.api.*;
import org.neo4j.graphdb.*;
import org.neo4j.io.ByteUnit;

/**
 * Neo4j's own cost of writing {@code CALLED} relationships inside the JVM (an embedded
 * database, no Bolt, no client): the {@code UNWIND … CREATE} statement toex sends against
 * the Core API ({@code createRelationshipTo}, {@code setProperty}), in alternating rounds
 * of 5,000-row transactions between 100,000 phones, with the process CPU each spent.
 * Tells whether a server-side procedure could write faster than Cypher.
 *
 * <pre>
 * CP="graph/launcher/target/lib/*:graph/launcher/target/toex-neo4j-launcher-0.1.0.jar"
 * javac -d target/bench-java -cp "$CP" bench/java/CalledWriteCost.java
 * java -Xmx3g -cp "$CP:target/bench-java" CalledWriteCost target/bench-java/db 200000
 * </pre>
 * (the launcher's jars come from {@code scripts/setup.sh}; the store directory must not exist).
 */
public class CalledWriteCost {
  public static void main(String[] a) throws Exception {
    if (a.length != 2) {
      System.err.println("usage: CalledWriteCost NEW_STORE_DIR RELATIONSHIPS_PER_ROUND");
      System.exit(2);
    }
    DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(Path.of(a[0]))
      .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(1024)).build();
    GraphDatabaseService db = dbms.database("neo4j");
    int phones = 100000, per = 5000, n = Integer.parseInt(a[1]);
    List<String> ids = new ArrayList<>();
    try (Transaction tx = db.beginTx()) {
      for (int i = 0; i < phones; i++) ids.add(tx.createNode(Label.label("Phone")).getElementId());
      tx.commit();
    }
    Random r = new Random(7);
    OffsetDateTime t0 = OffsetDateTime.of(2024,1,1,0,0,0,0,ZoneOffset.UTC);
    com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    for (int round = 0; round < 6; round++) {
      boolean cypher = round % 2 == 0;
      List<List<Object>> rows = new ArrayList<>();
      int[][] pairs = new int[n][2];
      for (int i = 0; i < n; i++) { pairs[i][0] = r.nextInt(phones); pairs[i][1] = r.nextInt(phones); }
      Arrays.sort(pairs, (x, y) -> x[0] != y[0] ? Integer.compare(x[0], y[0]) : Integer.compare(x[1], y[1]));
      for (int[] p : pairs) {
        OffsetDateTime f = t0.plusSeconds(r.nextInt(30000000));
        rows.add(List.of(ids.get(p[0]), ids.get(p[1]), "WYP", (long) r.nextInt(5)+1, (long) r.nextInt(3600), f, f.plusSeconds(r.nextInt(3000000))));
      }
      long cpu0 = os.getProcessCpuTime(); long w0 = System.nanoTime();
      for (int s = 0; s < n; s += per) {
        List<List<Object>> batch = rows.subList(s, Math.min(n, s + per));
        try (Transaction tx = db.beginTx()) {
          if (cypher) {
            tx.execute("UNWIND $rows AS row MATCH (a:Phone) WHERE elementId(a) = row[0] MATCH (b:Phone) WHERE elementId(b) = row[1] "
              + "CREATE (a)-[:CALLED {source: $source, force: row[2], count: row[3], totalDuration: row[4], firstSeen: row[5], lastSeen: row[6]}]->(b)",
              Map.of("rows", batch, "source", "import:0123456789abcdef0123")).close();
          } else {
            RelationshipType t = RelationshipType.withName("CALLED");
            for (List<Object> row : batch) {
              Node x = tx.getNodeByElementId((String) row.get(0)), y = tx.getNodeByElementId((String) row.get(1));
              Relationship rel = x.createRelationshipTo(y, t);
              rel.setProperty("source", "import:0123456789abcdef0123");
              rel.setProperty("force", row.get(2)); rel.setProperty("count", row.get(3));
              rel.setProperty("totalDuration", row.get(4));
              rel.setProperty("firstSeen", ((OffsetDateTime) row.get(5)).toZonedDateTime());
              rel.setProperty("lastSeen", ((OffsetDateTime) row.get(6)).toZonedDateTime());
            }
          }
          tx.commit();
        }
      }
      double cpu = (os.getProcessCpuTime() - cpu0) / 1e9, wall = (System.nanoTime() - w0) / 1e9;
      System.out.printf("%s: %d rels wall %.2f s cpu %.2f s (%.2f cpu-s/100k)%n", cypher ? "cypher" : "core  ", n, wall, cpu, cpu / n * 1e5);
    }
    dbms.shutdown();
  }
}
