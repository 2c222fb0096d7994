/*
 * link-delay: holds every packet of one netfilter queue for a fixed time, then lets it go.
 * A stand-in for `tc qdisc … netem delay` on kernels built without sch_netem (the project VM's):
 * an iptables rule sends the packets leaving a link to NFQUEUE, and this program accepts each
 * one `delay-ms` after it arrived, in arrival order. Used by bench/network.bench.ts's NAT round.
 *
 *   cc -O2 -o link-delay bench/link-delay.c -lnetfilter_queue
 *   ip netns exec <router> iptables -t mangle -A POSTROUTING -o wan -j NFQUEUE --queue-num 1
 *   ip netns exec <router> ./link-delay 1 50
 *
 * Prints "ready" once bound. Exits on SIGTERM/SIGINT; packets still held are then accepted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define HELD_MAX 65536

struct held {
  uint32_t id;
  int64_t due_us;
};

static struct held held[HELD_MAX];
static size_t head, count;
static int64_t delay_us;
static volatile sig_atomic_t stopping;

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
                     void *data) {
  (void)msg;
  (void)data;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  if (!ph) return 0;
  uint32_t id = ntohl(ph->packet_id);
  if (count == HELD_MAX) return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL); /* full: no delay */
  held[(head + count) % HELD_MAX] = (struct held){id, now_us() + delay_us};
  count++;
  return 0;
}

static void release(struct nfq_q_handle *qh, int all) {
  int64_t now = now_us();
  while (count > 0 && (all || held[head].due_us <= now)) {
    nfq_set_verdict(qh, held[head].id, NF_ACCEPT, 0, NULL);
    head = (head + 1) % HELD_MAX;
    count--;
  }
}

static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: link-delay <queue-num> <delay-ms>\n");
    return 2;
  }
  uint16_t queue = (uint16_t)atoi(argv[1]);
  delay_us = (int64_t)atoi(argv[2]) * 1000;
  struct nfq_handle *h = nfq_open();
  if (!h) {
    perror("nfq_open");
    return 1;
  }
  struct nfq_q_handle *qh = nfq_create_queue(h, queue, &on_packet, NULL);
  if (!qh) {
    perror("nfq_create_queue");
    return 1;
  }
  /* Only the packet ids are needed: the kernel keeps the packets themselves. */
  nfq_set_mode(qh, NFQNL_COPY_META, 0);
  nfq_set_queue_maxlen(qh, HELD_MAX);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  int fd = nfq_fd(h);
  printf("ready\n");
  fflush(stdout);
  char buf[4096] __attribute__((aligned));
  while (!stopping) {
    int timeout = -1;
    if (count > 0) {
      int64_t wait = held[head].due_us - now_us();
      timeout = wait <= 0 ? 0 : (int)((wait + 999) / 1000);
    }
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int ready = poll(&pfd, 1, timeout);
    if (ready < 0 && errno != EINTR) break;
    if (ready > 0) {
      ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n >= 0) nfq_handle_packet(h, buf, (int)n);
      else if (errno != EAGAIN && errno != EINTR && errno != ENOBUFS) break;
    }
    release(qh, 0);
  }
  release(qh, 1);
  nfq_destroy_queue(qh);
  nfq_close(h);
  return 0;
}
