/*
 * coap-load: a raw-UDP CoAP load generator for scripts/bench/coap-throughput.ts.
 *
 * `concurrency` independent slots each keep one CON request outstanding against one server on
 * loopback. Responses are matched to their slot by the 4-byte token (slot index << 16 | sequence)
 * and, for piggybacked ACKs, by message ID as well; anything else (late duplicates after a resend)
 * is counted as stale and dropped.
 *
 *   mode small:  GET PATH, one operation per 2.05 response.
 *   mode block2: GET PATH with Block2 early negotiation (NUM=0, SZX given by --block-size, default
 *                64 B), then NUM=1,2,... until M=0; an operation is one whole fetch, and its length
 *                must equal --expect-size when that is given.
 *
 * The run has a warm-up, then a measured window of --duration seconds; a request unanswered for
 * --timeout-ms is resent with the same message ID (RFC 7252 §4.2), and after --max-resends the
 * operation is counted as an error and started over. One JSON line goes to stdout.
 *
 * Build: cc -O2 -o coap-load coap-load.c   (Linux: epoll, recvmmsg, sendmmsg; no dependencies)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_REQ 512
#define MAX_DGRAM 2048
#define COAP_GET 0x01
#define COAP_CONTENT 0x45 /* 2.05 */
#define T_CON 0
#define T_NON 1
#define T_ACK 2
#define T_RST 3
#define OPT_URI_PATH 11
#define OPT_BLOCK2 23

enum mode { MODE_SMALL, MODE_BLOCK2 };

typedef struct slot_s {
  int sock;            /* index into socks[] */
  uint16_t mid;        /* message ID of the request outstanding */
  uint16_t seq;        /* low half of the token */
  uint32_t token;      /* slot << 16 | seq */
  uint32_t block;      /* block number requested (block2) */
  uint32_t szx;        /* block size exponent in use (block2) */
  uint32_t received;   /* bytes of the current fetch so far */
  uint64_t op_start;   /* ns: when the operation started */
  uint64_t sent_at;    /* ns: last (re)transmission */
  uint32_t resends;    /* resends of the outstanding request */
  int acked;           /* empty ACK seen: a separate response will follow */
  int queued;          /* 1 + its index in the socket's send batch, or 0 */
  size_t len;
  uint8_t buf[MAX_REQ];
} slot_t;

typedef struct {
  int fd;
  struct mmsghdr out[BATCH];
  struct iovec out_iov[BATCH];
  struct slot_s *out_slot[BATCH];
  int nout;
} sock_t;

static struct {
  const char *host, *path, *label;
  int port, concurrency, nsocks, max_resends, block_size;
  enum mode mode;
  double duration, warmup;
  uint64_t timeout_ns, spin_ns;
  long expect_size;
} cfg = {"127.0.0.1", "/", "", 5683, 1, 1, 8, 64, MODE_SMALL, 5.0, 1.0, 200000000ull, 0, -1};

static struct {
  uint64_t ops, blocks, sent, resends, stale, malformed, empty_acks, separate;
  uint64_t err_code, err_rst, err_size, err_order, err_gaveup, err_send;
} st;

static slot_t *slots;
static sock_t *socks;
static uint16_t next_mid;
static int measuring;
static uint32_t *lat; /* ns, capped at UINT32_MAX */
static size_t nlat, caplat;
static uint8_t path_opts[MAX_REQ];
static size_t path_opts_len;
static int last_path_opt;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "coap-load: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void usage(void) {
  fprintf(stderr,
          "usage: coap-load --port N [--host 127.0.0.1] [--path /p] [--mode small|block2]\n"
          "                 [--concurrency N] [--duration S] [--warmup S] [--timeout-ms MS]\n"
          "                 [--max-resends N] [--block-size 16..1024] [--expect-size BYTES]\n"
          "                 [--sockets N] [--spin-us US] [--label TEXT]\n");
  exit(2);
}

/* Appends one option (number `num`, previous number `*prev`) to p; returns bytes written. */
static size_t put_option(uint8_t *p, int *prev, int num, const uint8_t *val, size_t len) {
  size_t n = 0;
  int delta = num - *prev;
  uint8_t *hdr = p + n++;
  uint8_t dn, ln;
  if (delta < 13) dn = (uint8_t)delta;
  else if (delta < 269) { dn = 13; p[n++] = (uint8_t)(delta - 13); }
  else { dn = 14; p[n++] = (uint8_t)((delta - 269) >> 8); p[n++] = (uint8_t)(delta - 269); }
  if (len < 13) ln = (uint8_t)len;
  else if (len < 269) { ln = 13; p[n++] = (uint8_t)(len - 13); }
  else { ln = 14; p[n++] = (uint8_t)((len - 269) >> 8); p[n++] = (uint8_t)(len - 269); }
  *hdr = (uint8_t)(dn << 4 | ln);
  memcpy(p + n, val, len);
  *prev = num;
  return n + len;
}

static void build_path_options(void) {
  const char *s = cfg.path;
  int prev = 0;
  while (*s) {
    while (*s == '/') s++;
    if (!*s) break;
    const char *e = strchr(s, '/');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    if (path_opts_len + len + 4 > MAX_REQ - 32) { fprintf(stderr, "coap-load: path too long\n"); exit(2); }
    path_opts_len += put_option(path_opts + path_opts_len, &prev, OPT_URI_PATH, (const uint8_t *)s, len);
    s += len;
  }
  last_path_opt = prev;
}

/* Builds the slot's next request (new message ID and token) and queues it on its socket. */
static void queue_send(slot_t *sl, int idx, uint64_t now);

static void new_request(slot_t *sl, int idx, uint64_t now) {
  uint8_t *p = sl->buf;
  sl->mid = next_mid++;
  sl->seq++;
  sl->token = (uint32_t)idx << 16 | sl->seq;
  p[0] = 0x40 | (T_CON << 4) | 4;
  p[1] = COAP_GET;
  p[2] = (uint8_t)(sl->mid >> 8);
  p[3] = (uint8_t)sl->mid;
  p[4] = (uint8_t)(sl->token >> 24);
  p[5] = (uint8_t)(sl->token >> 16);
  p[6] = (uint8_t)(sl->token >> 8);
  p[7] = (uint8_t)sl->token;
  size_t n = 8;
  memcpy(p + n, path_opts, path_opts_len);
  n += path_opts_len;
  if (cfg.mode == MODE_BLOCK2) {
    int prev = last_path_opt;
    uint32_t v = sl->block << 4 | sl->szx; /* M=0 in requests */
    uint8_t val[3];
    size_t vl = v == 0 ? 0 : v < 0x100 ? 1 : v < 0x10000 ? 2 : 3;
    for (size_t i = 0; i < vl; i++) val[i] = (uint8_t)(v >> (8 * (vl - 1 - i)));
    n += put_option(p + n, &prev, OPT_BLOCK2, val, vl);
  }
  sl->len = n;
  sl->resends = 0;
  sl->acked = 0;
  queue_send(sl, idx, now);
}

static void flush(sock_t *so);

static void queue_send(slot_t *sl, int idx, uint64_t now) {
  (void)idx;
  sock_t *so = &socks[sl->sock];
  sl->sent_at = now;
  if (sl->queued) { /* already in the batch: point it at the current bytes */
    so->out_iov[sl->queued - 1].iov_len = sl->len;
    return;
  }
  if (so->nout == BATCH) flush(so);
  int k = so->nout++;
  so->out_iov[k].iov_base = sl->buf;
  so->out_iov[k].iov_len = sl->len;
  memset(&so->out[k].msg_hdr, 0, sizeof so->out[k].msg_hdr);
  so->out[k].msg_hdr.msg_iov = &so->out_iov[k];
  so->out[k].msg_hdr.msg_iovlen = 1;
  so->out_slot[k] = sl;
  sl->queued = k + 1;
}

static void flush(sock_t *so) {
  int done = 0;
  while (done < so->nout) {
    int r = sendmmsg(so->fd, so->out + done, (unsigned)(so->nout - done), MSG_DONTWAIT);
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      /* Buffer full or error: the rest is lost and will be resent after its timeout. */
      st.err_send += (uint64_t)(so->nout - done);
      break;
    }
    st.sent += (uint64_t)r;
    done += r;
  }
  for (int i = 0; i < so->nout; i++) so->out_slot[i]->queued = 0;
  so->nout = 0;
}

static void record_latency(uint64_t ns) {
  if (nlat == caplat) {
    caplat = caplat ? caplat * 2 : 1 << 16;
    lat = realloc(lat, caplat * sizeof *lat);
    if (!lat) die("realloc");
  }
  lat[nlat++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

static void start_op(slot_t *sl, int idx, uint64_t now) {
  sl->op_start = now;
  sl->block = 0;
  sl->received = 0;
  sl->szx = 0;
  while ((16u << sl->szx) < (unsigned)cfg.block_size && sl->szx < 6) sl->szx++;
  new_request(sl, idx, now);
}

static void complete_op(slot_t *sl, int idx, uint64_t now) {
  if (measuring) {
    st.ops++;
    record_latency(now - sl->op_start);
  }
  start_op(sl, idx, now);
}

static void fail_op(slot_t *sl, int idx, uint64_t now, uint64_t *counter) {
  if (measuring) (*counter)++;
  start_op(sl, idx, now);
}

static void send_empty_ack(int fd, uint16_t mid) {
  uint8_t a[4] = {0x40 | (T_ACK << 4), 0, (uint8_t)(mid >> 8), (uint8_t)mid};
  if (send(fd, a, sizeof a, MSG_DONTWAIT) < 0) st.err_send++;
}

static void on_datagram(int sock_idx, const uint8_t *b, size_t len, uint64_t now) {
  if (len < 4 || (b[0] >> 6) != 1) { st.malformed++; return; }
  int type = (b[0] >> 4) & 3, tkl = b[0] & 0xf, code = b[1];
  uint16_t mid = (uint16_t)(b[2] << 8 | b[3]);
  if (code == 0) {
    if (type == T_ACK || type == T_RST) {
      /* Empty ACK or RST: matched by message ID only. */
      for (int i = 0; i < cfg.concurrency; i++) {
        slot_t *sl = &slots[i];
        if (sl->sock != sock_idx || sl->mid != mid) continue;
        if (type == T_ACK) { st.empty_acks++; sl->acked = 1; }
        else fail_op(sl, i, now, &st.err_rst);
        return;
      }
    }
    st.stale++;
    return;
  }
  if (tkl != 4 || len < 8) { st.stale++; return; }
  uint32_t token = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
  int idx = (int)(token >> 16);
  if (idx >= cfg.concurrency) { st.stale++; return; }
  slot_t *sl = &slots[idx];
  if (sl->token != token || sl->sock != sock_idx) { st.stale++; if (type == T_CON) send_empty_ack(socks[sock_idx].fd, mid); return; }
  if (type == T_ACK && sl->mid != mid) { st.stale++; return; }
  if (type == T_RST) { st.stale++; return; }
  if (type == T_CON) { st.separate++; send_empty_ack(socks[sock_idx].fd, mid); }

  /* Options: find Block2, then the payload. */
  size_t i = 8;
  int num = 0;
  long b2 = -1;
  while (i < len && b[i] != 0xff) {
    int d = b[i] >> 4, l = b[i] & 0xf;
    i++;
    if (d == 13) { if (i >= len) goto bad; d = 13 + b[i++]; }
    else if (d == 14) { if (i + 1 >= len) goto bad; d = 269 + (b[i] << 8 | b[i + 1]); i += 2; }
    else if (d == 15) goto bad;
    if (l == 13) { if (i >= len) goto bad; l = 13 + b[i++]; }
    else if (l == 14) { if (i + 1 >= len) goto bad; l = 269 + (b[i] << 8 | b[i + 1]); i += 2; }
    else if (l == 15) goto bad;
    if (i + (size_t)l > len) goto bad;
    num += d;
    if (num == OPT_BLOCK2) {
      if (l > 3) goto bad;
      b2 = 0;
      for (int k = 0; k < l; k++) b2 = b2 << 8 | b[i + k];
    }
    i += (size_t)l;
  }
  size_t plen = 0;
  if (i < len) { /* payload marker */
    i++;
    if (i == len) goto bad;
    plen = len - i;
  }
  if (code != COAP_CONTENT) { fail_op(sl, idx, now, &st.err_code); return; }
  if (measuring) st.blocks++;
  if (cfg.mode == MODE_SMALL) {
    if (cfg.expect_size >= 0 && (long)plen != cfg.expect_size) { fail_op(sl, idx, now, &st.err_size); return; }
    complete_op(sl, idx, now);
    return;
  }
  if (b2 < 0) { /* the server sent the whole body at once */
    sl->received += (uint32_t)plen;
  } else {
    uint32_t bnum = (uint32_t)(b2 >> 4), more = (uint32_t)(b2 >> 3) & 1, szx = (uint32_t)b2 & 7;
    if (szx == 7) goto bad;
    /* The server may answer with a smaller block; offsets must line up. */
    if ((uint64_t)bnum * (16u << szx) != sl->received) { fail_op(sl, idx, now, &st.err_order); return; }
    sl->received += (uint32_t)plen;
    if (more) {
      if (plen != (16u << szx)) { fail_op(sl, idx, now, &st.err_size); return; }
      sl->szx = szx;
      sl->block = bnum + 1;
      new_request(sl, idx, now);
      return;
    }
  }
  if (cfg.expect_size >= 0 && (long)sl->received != cfg.expect_size) { fail_op(sl, idx, now, &st.err_size); return; }
  complete_op(sl, idx, now);
  return;
bad:
  st.malformed++;
}

/* Reads and handles everything waiting on socket s; returns the number of datagrams. */
static int drain(int s, uint64_t now) {
  static uint8_t rbuf[BATCH][MAX_DGRAM];
  static struct iovec riov[BATCH];
  static struct mmsghdr rmsg[BATCH];
  if (!riov[0].iov_base) {
    for (int k = 0; k < BATCH; k++) {
      riov[k].iov_base = rbuf[k];
      riov[k].iov_len = MAX_DGRAM;
      rmsg[k].msg_hdr.msg_iov = &riov[k];
      rmsg[k].msg_hdr.msg_iovlen = 1;
    }
  }
  int total = 0;
  for (;;) {
    int r = recvmmsg(socks[s].fd, rmsg, BATCH, MSG_DONTWAIT, NULL);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNREFUSED) { st.err_send++; continue; }
      if (errno != EAGAIN && errno != EWOULDBLOCK) die("recvmmsg");
      break;
    }
    for (int k = 0; k < r; k++) on_datagram(s, rbuf[k], rmsg[k].msg_len, now);
    total += r;
    /* Send what these answers made ready before reading on, so the server never idles. */
    flush(&socks[s]);
    if (r < BATCH) break;
  }
  return total;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static double pct_ms(double p) {
  if (!nlat) return 0;
  size_t k = (size_t)(p * (double)(nlat - 1) + 0.5);
  return lat[k] / 1e6;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') printf("\\%c", *s);
    else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
    else putchar(*s);
  }
  putchar('"');
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc) usage();
    const char *v = argv[++i];
    if (!strcmp(a, "--host")) cfg.host = v;
    else if (!strcmp(a, "--port")) cfg.port = atoi(v);
    else if (!strcmp(a, "--path")) cfg.path = v;
    else if (!strcmp(a, "--mode")) {
      if (!strcmp(v, "small")) cfg.mode = MODE_SMALL;
      else if (!strcmp(v, "block2")) cfg.mode = MODE_BLOCK2;
      else usage();
    } else if (!strcmp(a, "--concurrency")) cfg.concurrency = atoi(v);
    else if (!strcmp(a, "--duration")) cfg.duration = atof(v);
    else if (!strcmp(a, "--warmup")) cfg.warmup = atof(v);
    else if (!strcmp(a, "--timeout-ms")) cfg.timeout_ns = (uint64_t)(atof(v) * 1e6);
    else if (!strcmp(a, "--max-resends")) cfg.max_resends = atoi(v);
    else if (!strcmp(a, "--block-size")) cfg.block_size = atoi(v);
    else if (!strcmp(a, "--expect-size")) cfg.expect_size = atol(v);
    else if (!strcmp(a, "--sockets")) cfg.nsocks = atoi(v);
    else if (!strcmp(a, "--spin-us")) cfg.spin_ns = (uint64_t)(atof(v) * 1e3);
    else if (!strcmp(a, "--label")) cfg.label = v;
    else usage();
  }
  if (cfg.port <= 0 || cfg.port > 65535 || cfg.concurrency < 1 || cfg.concurrency > 65535 || cfg.nsocks < 1 ||
      cfg.nsocks > cfg.concurrency || cfg.duration <= 0 || cfg.warmup < 0 || cfg.timeout_ns == 0 ||
      cfg.block_size < 16 || cfg.block_size > 1024)
    usage();
  build_path_options();

  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg.port)};
  if (inet_pton(AF_INET, cfg.host, &to.sin_addr) != 1) { fprintf(stderr, "coap-load: --host must be an IPv4 address\n"); return 2; }
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  socks = calloc((size_t)cfg.nsocks, sizeof *socks);
  slots = calloc((size_t)cfg.concurrency, sizeof *slots);
  if (!socks || !slots) die("calloc");
  for (int i = 0; i < cfg.nsocks; i++) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) die("socket");
    int sz = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) < 0) die("connect");
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
    socks[i].fd = fd;
  }
  srand((unsigned)(now_ns() ^ (uint64_t)getpid()));
  next_mid = (uint16_t)rand();

  uint64_t t0 = now_ns();
  uint64_t warm_end = t0 + (uint64_t)(cfg.warmup * 1e9);
  uint64_t end = warm_end + (uint64_t)(cfg.duration * 1e9);
  uint64_t measure_start = t0, last_scan = t0, last_rx = t0;
  double cpu0 = 0;
  measuring = cfg.warmup == 0;
  if (measuring) cpu0 = cpu_seconds();
  for (int i = 0; i < cfg.concurrency; i++) {
    slots[i].sock = i % cfg.nsocks;
    start_op(&slots[i], i, t0);
  }
  for (int s = 0; s < cfg.nsocks; s++) flush(&socks[s]);

  struct epoll_event evs[64];
  uint64_t now = t0;
  for (;;) {
    now = now_ns();
    if (!measuring && now >= warm_end) {
      memset(&st, 0, sizeof st);
      nlat = 0;
      measuring = 1;
      measure_start = now;
      cpu0 = cpu_seconds();
    }
    if (now >= end) break;
    uint64_t until = (measuring ? end : warm_end) - now;
    int wait_ms = until > 5000000ull ? 5 : (int)(until / 1000000ull);
    int got = 0;
    if (cfg.spin_ns) { /* busy-poll for a while after the last datagram before sleeping */
      for (int s = 0; s < cfg.nsocks; s++) got += drain(s, now);
      if (got) last_rx = now;
    }
    if (!got && (!cfg.spin_ns || now - last_rx >= cfg.spin_ns)) {
      int n = epoll_wait(ep, evs, 64, wait_ms);
      if (n < 0 && errno != EINTR) die("epoll_wait");
      now = now_ns();
      for (int e = 0; e < n; e++) drain((int)evs[e].data.u32, now);
    }
    /* Resend what timed out; give up on an operation after max_resends. */
    if (now - last_scan >= 1000000ull) {
      last_scan = now;
      for (int i = 0; i < cfg.concurrency; i++) {
        slot_t *sl = &slots[i];
        uint64_t limit = sl->acked ? cfg.timeout_ns * 20 : cfg.timeout_ns;
        if (now - sl->sent_at < limit) continue;
        if (sl->acked || (int)sl->resends >= cfg.max_resends) {
          fail_op(sl, i, now, &st.err_gaveup);
        } else {
          sl->resends++;
          if (measuring) st.resends++;
          queue_send(sl, i, now);
        }
      }
      for (int s = 0; s < cfg.nsocks; s++) flush(&socks[s]);
    }
  }
  double cpu = cpu_seconds() - cpu0;
  double secs = (double)(now - measure_start) / 1e9;
  if (nlat) qsort(lat, nlat, sizeof *lat, cmp_u32);
  uint64_t errors = st.err_code + st.err_rst + st.err_size + st.err_order + st.err_gaveup;
  printf("{\"label\":");
  json_string(cfg.label);
  printf(",\"mode\":\"%s\",\"path\":", cfg.mode == MODE_SMALL ? "small" : "block2");
  json_string(cfg.path);
  printf(",\"port\":%d,\"concurrency\":%d,\"sockets\":%d,\"block_size\":%d,\"duration_s\":%.3f,"
         "\"ops\":%llu,\"ops_per_s\":%.1f,\"blocks\":%llu,\"blocks_per_s\":%.1f,\"requests_sent\":%llu,"
         "\"resends\":%llu,\"errors\":%llu,\"error_detail\":{\"code\":%llu,\"rst\":%llu,\"size\":%llu,"
         "\"order\":%llu,\"gave_up\":%llu,\"send\":%llu,\"malformed\":%llu},\"stale\":%llu,"
         "\"empty_acks\":%llu,\"separate\":%llu,"
         "\"latency_ms\":{\"p50\":%.4f,\"p90\":%.4f,\"p99\":%.4f,\"max\":%.4f},\"client_cpu_s\":%.3f}\n",
         cfg.port, cfg.concurrency, cfg.nsocks, cfg.block_size, secs, (unsigned long long)st.ops,
         secs > 0 ? (double)st.ops / secs : 0.0, (unsigned long long)st.blocks,
         secs > 0 ? (double)st.blocks / secs : 0.0, (unsigned long long)st.sent, (unsigned long long)st.resends,
         (unsigned long long)errors, (unsigned long long)st.err_code, (unsigned long long)st.err_rst,
         (unsigned long long)st.err_size, (unsigned long long)st.err_order, (unsigned long long)st.err_gaveup,
         (unsigned long long)st.err_send, (unsigned long long)st.malformed, (unsigned long long)st.stale,
         (unsigned long long)st.empty_acks, (unsigned long long)st.separate, pct_ms(0.50), pct_ms(0.90),
         pct_ms(0.99), nlat ? lat[nlat - 1] / 1e6 : 0.0, cpu);
  return 0;
}
