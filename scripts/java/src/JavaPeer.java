/*
 * Reference peer for Beamline's interop tests: drives the official Apache Pulsar Java client from
 * the command line. Every argument is a `--flag value` pair (booleans may omit the value); every
 * result is one JSON object per line on stdout so test/support/java-peer.ts can parse it.
 * Diagnostics go to stderr. Compiled with plain javac against the jars that
 * scripts/java/pom.xml resolves; there is deliberately no build tool beyond that.
 */
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.pulsar.client.api.AuthenticationFactory;
import org.apache.pulsar.client.api.ClientBuilder;
import org.apache.pulsar.client.api.CompressionType;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.HashingScheme;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.ProducerBuilder;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;
import org.apache.pulsar.client.api.TopicMetadata;
import org.apache.pulsar.client.api.TypedMessageBuilder;
import org.apache.pulsar.client.api.transaction.Transaction;
import org.apache.pulsar.client.api.schema.GenericRecord;
import org.apache.pulsar.client.api.schema.GenericSchema;
import org.apache.pulsar.client.impl.RoundRobinPartitionMessageRouterImpl;
import org.apache.pulsar.common.schema.SchemaInfo;
import org.apache.pulsar.common.schema.SchemaType;

public final class JavaPeer {
  /** Payloads up to this size are echoed in base64 by `consume`; larger ones only by hash. */
  private static final int ECHO_PAYLOAD_MAX = 4096;
  /** Event times start here (2020-01-01T00:00:00Z) so they never collide with publish times. */
  private static final long EVENT_TIME_BASE = 1577836800000L;

  private JavaPeer() {}

  public static void main(String[] argv) {
    if (argv.length == 0) {
      fail("usage: JavaPeer produce|consume|partition-of --flag value ...");
    }
    Flags f = Flags.parse(argv, 1);
    try {
      switch (argv[0]) {
        case "produce" -> produce(f);
        case "consume" -> consume(f);
        case "partition-of" -> partitionOf(f);
        case "produce-avro" -> produceAvro(f);
        case "read" -> read(f);
        case "produce-avro-long" -> produceAvroLong(f);
        case "consume-avro-long" -> consumeAvroLong(f);
        case "txn-loop" -> txnLoop(f);
        default -> fail("unknown subcommand: " + argv[0]);
      }
      f.rejectUnused();
    } catch (Exception e) {
      System.out.flush();
      System.err.println("java-peer: " + e);
      e.printStackTrace(System.err);
      System.out.println(new Json().put("error", String.valueOf(e.getMessage())).put("type", e.getClass().getName()));
      System.out.flush();
      System.exit(1);
    }
    System.out.flush();
    // Pulsar's client leaves non-daemon threads behind on some paths; the answer is already out.
    System.exit(0);
  }

  // ---------------------------------------------------------------------------------------------
  // txn-loop: the benchmark's transactional consume-transform-produce. Pre-fills `input` with
  // `count` messages (batched, outside any txn), then reads them back and, per `per-txn`
  // messages, sends each payload to `output` and acks it inside one transaction, then commits.
  // Prints {"summary":true,"messages":n,"elapsedMs":t,"perSec":r} for the loop alone.

  private static void txnLoop(Flags f) throws Exception {
    String input = f.required("input");
    String output = f.required("output");
    int count = f.integer("count", 10_000);
    int perTxn = f.integer("per-txn", 100);
    int size = f.integer("size", 1024);
    try (PulsarClient client = client(f, true)) {
      byte[] payload = payload(0, size);
      try (Producer<byte[]> pre = client.newProducer().topic(input).enableBatching(true).batchingMaxMessages(1000)
          .blockIfQueueFull(true).create()) {
        for (int i = 0; i < count; i++) pre.sendAsync(payload);
        pre.flush();
      }
      try (Consumer<byte[]> consumer = client.newConsumer().topic(input).subscriptionName("txn-loop")
              .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).receiverQueueSize(1000).subscribe();
          Producer<byte[]> producer = client.newProducer().topic(output).sendTimeout(0, TimeUnit.SECONDS).create()) {
        long started = System.nanoTime();
        int done = 0;
        while (done < count) {
          Transaction tx = client.newTransaction().withTransactionTimeout(60, TimeUnit.SECONDS).build().get();
          int n = Math.min(perTxn, count - done);
          List<CompletableFuture<?>> ops = new ArrayList<>(2 * n);
          for (int i = 0; i < n; i++) {
            Message<byte[]> m = consumer.receive();
            ops.add(producer.newMessage(tx).value(m.getValue()).sendAsync());
            ops.add(consumer.acknowledgeAsync(m.getMessageId(), tx));
          }
          CompletableFuture.allOf(ops.toArray(new CompletableFuture[0])).get();
          tx.commit().get();
          done += n;
        }
        long elapsedMs = Math.max(1, (System.nanoTime() - started) / 1_000_000);
        System.out.println(new Json().put("summary", true).put("messages", done).put("elapsedMs", elapsedMs)
            .put("perSec", done * 1000.0 / elapsedMs));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // produce-avro: records of the test schema `beamline.test.User`, version 1 (id, name) or
  // version 2 (adds `tier` with default "basic"), with a GenericRecord so no classes are needed.

  static final String USER_V1 = "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"beamline.test\",\"fields\":["
      + "{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"name\",\"type\":\"string\"}]}";
  static final String USER_V2 = "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"beamline.test\",\"fields\":["
      + "{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"name\",\"type\":\"string\"},"
      + "{\"name\":\"tier\",\"type\":\"string\",\"default\":\"basic\"}]}";

  private static void produceAvro(Flags f) throws Exception {
    String topic = f.required("topic");
    int count = f.integer("count", 10);
    int start = f.integer("start", 0);
    int version = f.integer("schema-version", 1);
    String def = version == 2 ? USER_V2 : USER_V1;
    SchemaInfo info = SchemaInfo.builder().name("User").type(SchemaType.AVRO)
        .schema(def.getBytes(StandardCharsets.UTF_8)).properties(new HashMap<>()).build();
    GenericSchema<GenericRecord> schema = org.apache.pulsar.client.api.Schema.generic(info);
    long started = System.nanoTime();
    try (PulsarClient client = client(f, false);
        Producer<GenericRecord> producer = client.newProducer(schema).topic(topic).enableBatching(false).create()) {
      for (int i = start; i < start + count; i++) {
        var b = schema.newRecordBuilder().set("id", i).set("name", "user-" + i);
        if (version == 2) b.set("tier", "gold-" + i);
        MessageId id = producer.newMessage().value(b.build()).send();
        System.out.println(new Json().put("index", i).put("id", id.toString()));
      }
    }
    long elapsedMs = (System.nanoTime() - started) / 1_000_000;
    System.out.println(new Json().put("summary", true).put("sent", count).put("schemaVersion", version).put("elapsedMs", elapsedMs));
  }

  // ---------------------------------------------------------------------------------------------
  // read: a reader from a serialized message id (base64 of MessageId.toByteArray(), as another
  // client wrote it), inclusive or not; with --seek the reader starts at earliest and seeks to the
  // id instead. One line per message (id, idBytes, payloadSize, payloadSha256), then a summary.

  private static void read(Flags f) throws Exception {
    String topic = f.required("topic");
    int count = f.integer("count", 1);
    MessageId start = MessageId.fromByteArray(Base64.getDecoder().decode(f.required("start-id-b64")));
    boolean inclusive = f.bool("inclusive", false);
    boolean seek = f.bool("seek", false);
    long timeoutMs = f.integer("timeout-ms", 15_000);
    int received = 0;
    try (PulsarClient client = client(f, false);
        // The seeking reader is inclusive: after a seek the Java client resubscribes from the
        // sought id, and a non-inclusive reader would then resume after a chunked message's last
        // chunk instead of at its first.
        Reader<byte[]> reader = seek
            ? client.newReader().topic(topic).startMessageId(MessageId.earliest).startMessageIdInclusive().create()
            : inclusive
                ? client.newReader().topic(topic).startMessageId(start).startMessageIdInclusive().create()
                : client.newReader().topic(topic).startMessageId(start).create()) {
      if (seek) reader.seek(start);
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
      while (received < count) {
        long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (leftMs <= 0) break;
        Message<byte[]> m = reader.readNext((int) leftMs, TimeUnit.MILLISECONDS);
        if (m == null) break;
        Json line = new Json();
        putId(line, m.getMessageId());
        line.put("payloadSize", m.getData().length);
        line.put("payloadSha256", sha256(m.getData()));
        System.out.println(line);
        received++;
      }
    }
    System.out.println(new Json().put("summary", true).put("received", received).put("expected", count));
  }

  // ---------------------------------------------------------------------------------------------
  // produce-avro-long / consume-avro-long: records of `beamline.test.Big` {n: long, label: string}
  // carrying 64-bit values (decimal strings on the command line and in the output, so JSON never
  // rounds them).

  static final String BIG = "{\"type\":\"record\",\"name\":\"Big\",\"namespace\":\"beamline.test\",\"fields\":["
      + "{\"name\":\"n\",\"type\":\"long\"},{\"name\":\"label\",\"type\":\"string\"}]}";

  private static GenericSchema<GenericRecord> bigSchema() {
    SchemaInfo info = SchemaInfo.builder().name("Big").type(SchemaType.AVRO)
        .schema(BIG.getBytes(StandardCharsets.UTF_8)).properties(new HashMap<>()).build();
    return org.apache.pulsar.client.api.Schema.generic(info);
  }

  private static void produceAvroLong(Flags f) throws Exception {
    String topic = f.required("topic");
    String[] values = f.required("values").split(",");
    GenericSchema<GenericRecord> schema = bigSchema();
    try (PulsarClient client = client(f, false);
        Producer<GenericRecord> producer = client.newProducer(schema).topic(topic).enableBatching(false).create()) {
      for (String v : values) {
        long n = Long.parseLong(v);
        MessageId id = producer.newMessage().value(schema.newRecordBuilder().set("n", n).set("label", "v" + v).build()).send();
        System.out.println(new Json().put("n", Long.toString(n)).put("id", id.toString()));
      }
    }
    System.out.println(new Json().put("summary", true).put("sent", values.length));
  }

  private static void consumeAvroLong(Flags f) throws Exception {
    String topic = f.required("topic");
    int count = f.integer("count", 1);
    long timeoutMs = f.integer("timeout-ms", 30_000);
    int received = 0;
    try (PulsarClient client = client(f, false);
        Consumer<GenericRecord> consumer = client.newConsumer(org.apache.pulsar.client.api.Schema.AUTO_CONSUME())
            .topic(topic).subscriptionName(f.string("subscription", "java-avro-long"))
            .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
      while (received < count) {
        long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (leftMs <= 0) break;
        Message<GenericRecord> m = consumer.receive((int) leftMs, TimeUnit.MILLISECONDS);
        if (m == null) break;
        GenericRecord r = m.getValue();
        System.out.println(new Json().put("n", String.valueOf(r.getField("n"))).put("label", String.valueOf(r.getField("label"))));
        consumer.acknowledge(m);
        received++;
      }
    }
    System.out.println(new Json().put("summary", true).put("received", received).put("expected", count));
  }

  // ---------------------------------------------------------------------------------------------
  // produce

  private static void produce(Flags f) throws Exception {
    String topic = f.required("topic");
    int count = f.integer("count", 10);
    boolean batching = f.bool("batching", true);
    int batchMax = f.integer("batch-max", 1000);
    CompressionType compression = CompressionType.valueOf(f.string("compression", "NONE"));
    String keyPrefix = f.string("key-prefix", null);
    int keys = f.integer("keys", 0);
    int payloadSize = f.integer("payload-size", -1);
    // Optional comma-separated sizes: message i gets sizes[i % n] bytes (overrides payload-size).
    String payloadSizes = f.string("payload-sizes", null);
    int[] sizes = payloadSizes == null ? null
        : java.util.Arrays.stream(payloadSizes.split(",")).mapToInt(Integer::parseInt).toArray();
    boolean withProperties = f.bool("with-properties", false);
    boolean eventTime = f.bool("event-time", false);
    boolean chunking = f.bool("chunking", false);
    boolean txn = f.bool("txn", false);
    boolean abort = f.bool("abort", false);
    String producerName = f.string("producer-name", null);
    if (keyPrefix != null && keys <= 0) keys = count;

    long started = System.nanoTime();
    try (PulsarClient client = client(f, txn)) {
      ProducerBuilder<byte[]> pb = client.newProducer()
          .topic(topic)
          .enableBatching(batching && !chunking)
          .batchingMaxMessages(batchMax)
          .batchingMaxPublishDelay(10, TimeUnit.MILLISECONDS)
          .compressionType(compression)
          .blockIfQueueFull(true);
      if (chunking) {
        // Chunking needs batching off; a small chunk size makes a modest payload span chunks.
        pb.enableChunking(true).chunkMaxMessageSize(f.integer("chunk-size", 64 * 1024));
      }
      if (producerName != null) pb.producerName(producerName);
      if (txn) pb.sendTimeout(0, TimeUnit.SECONDS);
      try (Producer<byte[]> producer = pb.create()) {
        Transaction tx = txn
            ? client.newTransaction().withTransactionTimeout(f.integer("txn-timeout-ms", 60_000), TimeUnit.MILLISECONDS).build().get()
            : null;
        List<CompletableFuture<MessageId>> sent = new ArrayList<>(count);
        List<Json> lines = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          byte[] payload = payload(i, sizes == null ? payloadSize : sizes[i % sizes.length]);
          TypedMessageBuilder<byte[]> mb = tx == null ? producer.newMessage() : producer.newMessage(tx);
          mb.value(payload);
          Json line = new Json().put("index", i);
          String key = keyPrefix == null ? null : keyPrefix + (i % keys);
          if (key != null) mb.key(key);
          line.put("key", key);
          Map<String, String> props = new TreeMap<>();
          if (withProperties) {
            props.put("index", Integer.toString(i));
            props.put("origin", "java-peer");
            props.put("unicode", "h\u00e9llo-\u2603");
            mb.properties(props);
          }
          line.put("properties", props);
          Long et = eventTime ? EVENT_TIME_BASE + i : null;
          if (et != null) mb.eventTime(et);
          line.put("eventTime", et);
          line.put("payloadSize", payload.length);
          line.put("payloadSha256", sha256(payload));
          sent.add(mb.sendAsync());
          lines.add(line);
        }
        producer.flush();
        for (int i = 0; i < count; i++) {
          MessageId id = sent.get(i).get(60, TimeUnit.SECONDS);
          Json line = lines.get(i);
          putId(line, id);
          System.out.println(line);
        }
        String outcome = "none";
        if (tx != null) {
          if (abort) {
            tx.abort().get(60, TimeUnit.SECONDS);
            outcome = "aborted";
          } else {
            tx.commit().get(60, TimeUnit.SECONDS);
            outcome = "committed";
          }
        }
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        System.out.println(new Json().put("summary", true).put("sent", count).put("topic", topic)
            .put("txn", outcome).put("elapsedMs", elapsedMs));
      }
    }
  }

  /** Deterministic payload so a reader can recompute it from the index alone. */
  static byte[] payload(int i, int size) {
    byte[] seed = ("java-peer-message-" + i).getBytes(StandardCharsets.UTF_8);
    if (size < 0) return seed;
    byte[] out = new byte[size];
    for (int p = 0; p < size; p++) out[p] = seed[p % seed.length];
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // consume

  private static void consume(Flags f) throws Exception {
    String topic = f.required("topic");
    String subscription = f.required("subscription");
    int count = f.integer("count", 10);
    SubscriptionType type = SubscriptionType.valueOf(f.string("type", "Exclusive"));
    String initial = f.string("initial", "earliest");
    long timeoutMs = f.integer("timeout-ms", 30_000);
    // Pulsar consumers only ever see committed transactional messages; the flag documents intent.
    f.bool("read-committed", true);
    boolean ack = f.bool("ack", true);
    // commit|abort: acknowledge everything inside one transaction, then end it that way.
    String txnAck = f.string("txn-ack", null);
    if (txnAck != null && !txnAck.equals("commit") && !txnAck.equals("abort")) {
      throw new IllegalArgumentException("--txn-ack takes commit|abort, got " + txnAck);
    }

    long started = System.nanoTime();
    int received = 0;
    String outcome = "none";
    try (PulsarClient client = client(f, txnAck != null);
        Consumer<byte[]> consumer = client.newConsumer()
            .topic(topic)
            .subscriptionName(subscription)
            .subscriptionType(type)
            .subscriptionInitialPosition("latest".equals(initial)
                ? SubscriptionInitialPosition.Latest : SubscriptionInitialPosition.Earliest)
            .subscribe()) {
      // Tells a caller that produces after subscribing with --initial latest when it may start.
      System.out.println(new Json().put("subscribed", true).put("topic", topic).put("subscription", subscription));
      System.out.flush();
      Transaction tx = txnAck == null ? null
          : client.newTransaction().withTransactionTimeout(f.integer("txn-timeout-ms", 60_000), TimeUnit.MILLISECONDS).build().get();
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
      while (received < count) {
        long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (leftMs <= 0) break;
        Message<byte[]> m = consumer.receive((int) Math.min(leftMs, Integer.MAX_VALUE), TimeUnit.MILLISECONDS);
        if (m == null) break;
        byte[] data = m.getData();
        Json line = new Json();
        putId(line, m.getMessageId());
        line.put("topic", m.getTopicName());
        line.put("key", m.hasKey() ? m.getKey() : null);
        line.put("properties", new TreeMap<>(m.getProperties()));
        line.put("eventTime", m.getEventTime() > 0 ? m.getEventTime() : null);
        line.put("publishTime", m.getPublishTime());
        line.put("producerName", m.getProducerName());
        line.put("redeliveryCount", m.getRedeliveryCount());
        line.put("payloadSize", data.length);
        line.put("payloadSha256", sha256(data));
        line.put("payload", data.length <= ECHO_PAYLOAD_MAX ? Base64.getEncoder().encodeToString(data) : null);
        System.out.println(line);
        if (tx != null) consumer.acknowledgeAsync(m.getMessageId(), tx).get(30, TimeUnit.SECONDS);
        else if (ack) consumer.acknowledge(m);
        received++;
      }
      if (tx != null) {
        if (txnAck.equals("abort")) {
          tx.abort().get(60, TimeUnit.SECONDS);
          outcome = "aborted";
        } else {
          tx.commit().get(60, TimeUnit.SECONDS);
          outcome = "committed";
        }
      }
    }
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    System.out.println(new Json().put("summary", true).put("received", received).put("expected", count)
        .put("timedOut", received < count).put("txn", outcome).put("elapsedMs", elapsedMs));
  }

  // ---------------------------------------------------------------------------------------------
  // partition-of

  /**
   * Asks the Java client's own default router (round-robin mode, JavaStringHash) which partition
   * a keyed message goes to; a keyed message never takes the round-robin path.
   */
  private static void partitionOf(Flags f) {
    String[] keys = f.required("keys").split(",", -1);
    int partitions = f.integer("partitions", 0);
    if (partitions <= 0) throw new IllegalArgumentException("--partitions must be > 0");
    HashingScheme scheme = HashingScheme.valueOf(f.string("hashing", "JavaStringHash"));
    RoundRobinPartitionMessageRouterImpl router = new RoundRobinPartitionMessageRouterImpl(scheme, 0, true, 1);
    TopicMetadata metadata = () -> partitions;
    for (String key : keys) {
      int p = router.choosePartition(keyedMessage(key), metadata);
      System.out.println(new Json().put("key", key).put("partition", p).put("partitions", partitions));
    }
  }

  /** The router reads only hasKey/getKey (and ordering key) from a message; a proxy is enough. */
  @SuppressWarnings("unchecked")
  private static Message<byte[]> keyedMessage(String key) {
    return (Message<byte[]>) Proxy.newProxyInstance(JavaPeer.class.getClassLoader(), new Class<?>[] {Message.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "hasKey" -> true;
          case "getKey" -> key;
          case "hasOrderingKey" -> false;
          case "getOrderingKey" -> null;
          case "hasBase64EncodedKey" -> false;
          case "getKeyBytes" -> key.getBytes(StandardCharsets.UTF_8);
          case "toString" -> "keyed(" + key + ")";
          case "hashCode" -> System.identityHashCode(proxy);
          case "equals" -> proxy == args[0];
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  private static PulsarClient client(Flags f, boolean transactions) throws Exception {
    ClientBuilder b = PulsarClient.builder()
        .serviceUrl(f.required("service-url"))
        .operationTimeout(f.integer("operation-timeout-ms", 30_000), TimeUnit.MILLISECONDS)
        .enableTransaction(transactions);
    String token = f.string("token", null);
    if (token == null) token = System.getenv("PULSAR_TOKEN");
    if (token != null && !token.isEmpty()) b.authentication(AuthenticationFactory.token(token));
    return b.build();
  }

  private static void putId(Json line, MessageId id) {
    line.put("idBytes", Base64.getEncoder().encodeToString(id.toByteArray()));
    if (id instanceof MessageIdAdv a) {
      line.put("id", a.getLedgerId() + ":" + a.getEntryId() + ":" + a.getPartitionIndex() + ":" + a.getBatchIndex());
      line.put("partition", a.getPartitionIndex());
      line.put("batchSize", a.getBatchSize());
      MessageIdAdv first = a.getFirstChunkMessageId();
      line.put("firstChunkId", first == null ? null
          : first.getLedgerId() + ":" + first.getEntryId() + ":" + first.getPartitionIndex() + ":" + first.getBatchIndex());
    } else {
      line.put("id", String.valueOf(id));
      line.put("partition", -1);
    }
  }

  static String sha256(byte[] data) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(data);
      StringBuilder sb = new StringBuilder(64);
      for (byte x : d) sb.append(String.format("%02x", x & 0xff));
      return sb.toString();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void fail(String msg) {
    System.err.println("java-peer: " + msg);
    System.out.println(new Json().put("error", msg).put("type", "usage"));
    System.exit(2);
  }

  /** `--name value` pairs; a flag followed by another flag (or nothing) is boolean true. */
  static final class Flags {
    private final Map<String, String> values = new HashMap<>();
    private final Map<String, Boolean> used = new HashMap<>();

    static Flags parse(String[] argv, int from) {
      Flags f = new Flags();
      for (int i = from; i < argv.length; i++) {
        String a = argv[i];
        if (!a.startsWith("--")) fail("expected a --flag, got: " + a);
        String name = a.substring(2);
        String value = "true";
        int eq = name.indexOf('=');
        if (eq >= 0) {
          value = name.substring(eq + 1);
          name = name.substring(0, eq);
        } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
          value = argv[++i];
        }
        f.values.put(name, value);
      }
      return f;
    }

    String string(String name, String dflt) {
      used.put(name, true);
      return values.getOrDefault(name, dflt);
    }

    String required(String name) {
      String v = string(name, null);
      if (v == null) throw new IllegalArgumentException("--" + name + " is required");
      return v;
    }

    int integer(String name, int dflt) {
      String v = string(name, null);
      return v == null ? dflt : Integer.parseInt(v);
    }

    boolean bool(String name, boolean dflt) {
      String v = string(name, null);
      if (v == null) return dflt;
      if (!v.equals("true") && !v.equals("false")) throw new IllegalArgumentException("--" + name + " takes true|false, got " + v);
      return v.equals("true");
    }

    void rejectUnused() {
      for (String k : values.keySet()) {
        if (!used.containsKey(k)) throw new IllegalArgumentException("unknown flag --" + k);
      }
    }
  }

  /** Just enough JSON writing for flat objects of strings, numbers, booleans and string maps. */
  static final class Json {
    private final Map<String, Object> fields = new LinkedHashMap<>();

    Json put(String k, Object v) {
      fields.put(k, v);
      return this;
    }

    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder();
      write(sb, fields);
      return sb.toString();
    }

    private static void write(StringBuilder sb, Object v) {
      if (v == null) {
        sb.append("null");
      } else if (v instanceof String s) {
        quote(sb, s);
      } else if (v instanceof Number || v instanceof Boolean) {
        sb.append(v);
      } else if (v instanceof Map<?, ?> m) {
        sb.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
          if (!first) sb.append(',');
          first = false;
          quote(sb, String.valueOf(e.getKey()));
          sb.append(':');
          write(sb, e.getValue());
        }
        sb.append('}');
      } else {
        quote(sb, v.toString());
      }
    }

    private static void quote(StringBuilder sb, String s) {
      sb.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '"' -> sb.append("\\\"");
          case '\\' -> sb.append("\\\\");
          case '\n' -> sb.append("\\n");
          case '\r' -> sb.append("\\r");
          case '\t' -> sb.append("\\t");
          default -> {
            if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
          }
        }
      }
      sb.append('"');
    }
  }
}
