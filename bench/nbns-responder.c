/*
 * NBSTAT responder for the benchmarks: ONE UDP socket on 0.0.0.0:PORT answers node status
 * requests for a seeded half of the addresses it receives, each answer leaving from the address
 * that was asked (IP_PKTINFO), so one process stands in for 65,536 hosts without 65,536 sockets.
 *
 *   nbns-responder PORT SEED MODE ANSWER_FILE      MODE: half | all | none
 *
 * `none` receives and never answers: UDP 137 filtered, as on most modern networks (silence, no ICMP).
 *
 * ANSWER_FILE holds a complete node status answer (its first two bytes, the transaction ID, are
 * replaced per request). Prints "ready" when bound; on SIGTERM/SIGINT prints
 * "received N answered M" and exits. Which addresses answer is the function `answers()` below;
 * bench/nbstat.ts has the same function, so the bench knows the exact responder set.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop = 0;
static void on_signal(int s) { (void)s; stop = 1; }

/* FNV-1a over the four address bytes, seeded; answer when bit 7 is clear; never .0 or .255 */
static int answers(uint32_t addr_host, uint32_t seed, int all) {
  uint32_t last = addr_host & 0xff;
  if (last == 0 || last == 255) return 0;
  if (all) return 1;
  uint32_t h = 2166136261u ^ seed;
  for (int i = 3; i >= 0; i--) {
    h ^= (addr_host >> (i * 8)) & 0xff;
    h *= 16777619u;
  }
  return ((h >> 7) & 1) == 0;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s PORT SEED half|all|none ANSWER_FILE\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[1]);
  uint32_t seed = (uint32_t)strtoul(argv[2], NULL, 10);
  int all = strcmp(argv[3], "all") == 0;
  int none = strcmp(argv[3], "none") == 0;
  unsigned char answer[2048];
  FILE *f = fopen(argv[4], "rb");
  if (!f) { perror("answer file"); return 2; }
  size_t alen = fread(answer, 1, sizeof answer, f);
  fclose(f);
  if (alen < 12) { fprintf(stderr, "answer too short\n"); return 2; }

  int s = socket(AF_INET, SOCK_DGRAM, 0);
  int one = 1, big = 64 << 20;
  setsockopt(s, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
  if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0) setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  if (setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) < 0) setsockopt(s, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  struct sockaddr_in sin = {0};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(s, (struct sockaddr *)&sin, sizeof sin) < 0) { perror("bind"); return 1; }

  struct sigaction sa = {0};
  sa.sa_handler = on_signal; /* no SA_RESTART: recvmsg returns EINTR */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  printf("ready\n");
  fflush(stdout);

  unsigned long received = 0, answered = 0;
  unsigned char buf[2048];
  char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
  while (!stop) {
    struct sockaddr_in from;
    struct iovec iov = {buf, sizeof buf};
    struct msghdr mh = {0};
    mh.msg_name = &from;
    mh.msg_namelen = sizeof from;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    ssize_t n = recvmsg(s, &mh, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("recvmsg");
      break;
    }
    received++;
    /* a node status request: query, opcode 0, one question of type NBSTAT (0x21) */
    if (n < 50 || (buf[2] & 0x80) || buf[46] != 0x00 || buf[47] != 0x21) continue;
    struct in_addr dst = {0};
    int have = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        dst = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr;
        have = 1;
      }
    }
    if (!have || none || !answers(ntohl(dst.s_addr), seed, all)) continue;
    answer[0] = buf[0];
    answer[1] = buf[1];
    char obuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
    memset(obuf, 0, sizeof obuf);
    struct iovec oiov = {answer, alen};
    struct msghdr om = {0};
    om.msg_name = &from;
    om.msg_namelen = sizeof from;
    om.msg_iov = &oiov;
    om.msg_iovlen = 1;
    om.msg_control = obuf;
    om.msg_controllen = sizeof obuf;
    struct cmsghdr *oc = CMSG_FIRSTHDR(&om);
    oc->cmsg_level = IPPROTO_IP;
    oc->cmsg_type = IP_PKTINFO;
    oc->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    ((struct in_pktinfo *)CMSG_DATA(oc))->ipi_spec_dst = dst;
    if (sendmsg(s, &om, 0) >= 0) answered++;
  }
  printf("received %lu answered %lu\n", received, answered);
  fflush(stdout);
  return 0;
}
