/*
 * The floor of an NBSTAT sweep on this machine: what the kernel alone costs to send one node
 * status query to every address of an IPv4 block and take in the answers, with nothing else done
 * (no name decoding, no output, no retransmission). No tool can sweep faster here than this, so
 * the bench compares each goal with it.
 *
 *   nbstat-floor CIDR PORT THREADS
 *
 * Each of THREADS threads owns one unconnected UDP socket (64 MiB buffers) and a slice of the
 * block. It sends with sendmmsg in batches of 256, drains answers with recvmmsg between batches,
 * and after its last send keeps reading until 300 ms pass without an answer. Prints one JSON line:
 * {"sent":N,"answered":M,"wallMs":W} (wall time from the first send to the last answer).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256
#define QUIET_MS 300

/* NBSTAT request (RFC 1002 4.2.17): one question, name "*" padded with NULs, first-level encoded */
static unsigned char QUERY[50];
static void build_query(void) {
  memset(QUERY, 0, sizeof QUERY);
  QUERY[5] = 1;                  /* QDCOUNT */
  QUERY[12] = 32;                /* label length */
  QUERY[13] = 'C';               /* '*' = 0x2A -> 'C' 'K' */
  QUERY[14] = 'K';
  memset(QUERY + 15, 'A', 30);   /* NUL padding -> "AA" each */
  QUERY[47] = 0x21;              /* after the name's 0 at [45]: QUESTION_TYPE NBSTAT */
  QUERY[49] = 0x01;              /* QUESTION_CLASS IN */
}

struct slice {
  uint32_t first, count;
  int port;
  long sent, answered;
  double lastAnswerMs;
};

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static long drain(int s, double *last) {
  static __thread unsigned char bufs[BATCH][600];
  struct mmsghdr m[BATCH];
  struct iovec iov[BATCH];
  long got = 0;
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = sizeof bufs[i];
      memset(&m[i].msg_hdr, 0, sizeof m[i].msg_hdr);
      m[i].msg_hdr.msg_iov = &iov[i];
      m[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(s, m, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) return got;
    got += n;
    *last = now_ms();
  }
}

static void *run(void *arg) {
  struct slice *sl = arg;
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  int big = 64 << 20;
  setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
  setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  struct sockaddr_in to[BATCH];
  unsigned char q[BATCH][sizeof QUERY];
  struct iovec iov[BATCH];
  struct mmsghdr m[BATCH];
  double last = 0;
  for (uint32_t done = 0; done < sl->count;) {
    int n = 0;
    for (; n < BATCH && done < sl->count; n++, done++) {
      uint32_t a = sl->first + done;
      memcpy(q[n], QUERY, sizeof QUERY);
      q[n][0] = (unsigned char)(a >> 8);
      q[n][1] = (unsigned char)a;
      memset(&to[n], 0, sizeof to[n]);
      to[n].sin_family = AF_INET;
      to[n].sin_port = htons((uint16_t)sl->port);
      to[n].sin_addr.s_addr = htonl(a);
      iov[n].iov_base = q[n];
      iov[n].iov_len = sizeof QUERY;
      memset(&m[n].msg_hdr, 0, sizeof m[n].msg_hdr);
      m[n].msg_hdr.msg_name = &to[n];
      m[n].msg_hdr.msg_namelen = sizeof to[n];
      m[n].msg_hdr.msg_iov = &iov[n];
      m[n].msg_hdr.msg_iovlen = 1;
    }
    for (int off = 0; off < n;) {
      int k = sendmmsg(s, m + off, (unsigned)(n - off), 0);
      if (k <= 0) break;
      off += k;
      sl->sent += k;
    }
    sl->answered += drain(s, &last);
  }
  for (;;) {
    struct pollfd p = {s, POLLIN, 0};
    if (poll(&p, 1, QUIET_MS) <= 0) break;
    sl->answered += drain(s, &last);
  }
  sl->lastAnswerMs = last;
  close(s);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s CIDR PORT THREADS\n", argv[0]);
    return 2;
  }
  char net[64];
  snprintf(net, sizeof net, "%s", argv[1]);
  char *slash = strchr(net, '/');
  int bits = slash ? atoi(slash + 1) : 32;
  if (slash) *slash = 0;
  struct in_addr a;
  if (inet_pton(AF_INET, net, &a) != 1 || bits < 8 || bits > 32) {
    fprintf(stderr, "bad CIDR\n");
    return 2;
  }
  uint32_t size = bits == 32 ? 1 : 1u << (32 - bits);
  uint32_t first = ntohl(a.s_addr) & ~(size - 1);
  build_query();
  int threads = atoi(argv[3]);
  if (threads < 1 || threads > 16) threads = 1;
  struct slice sl[16];
  pthread_t t[16];
  double t0 = now_ms();
  for (int i = 0; i < threads; i++) {
    uint32_t per = size / threads, from = first + per * i;
    sl[i] = (struct slice){from, i == threads - 1 ? size - per * i : per, atoi(argv[2]), 0, 0, 0};
    pthread_create(&t[i], NULL, run, &sl[i]);
  }
  long sent = 0, answered = 0;
  double last = t0;
  for (int i = 0; i < threads; i++) {
    pthread_join(t[i], NULL);
    sent += sl[i].sent;
    answered += sl[i].answered;
    if (sl[i].lastAnswerMs > last) last = sl[i].lastAnswerMs;
  }
  printf("{\"sent\":%ld,\"answered\":%ld,\"wallMs\":%.1f}\n", sent, answered, last - t0);
  return 0;
}
