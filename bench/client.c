/*
 * signet-bench-client: the one client of the IPC benchmark (bench/ipcbench.mjs, bench/README.md).
 *
 * The same code talks to the real signet-agent, to the plain C echo server and to the bare QLocalServer echo, so
 * the three are compared through identical client work. It speaks the agent's framing only (one line, one
 * reply line) with raw POSIX sockets: no JSON parser, no library, nothing that would cost the agent's turn more
 * than the echo servers'.
 *
 *   signet-bench-client once SOCKET REQUEST
 *       one connection, one round trip; prints the reply's size in bytes (never the reply: it may hold a token)
 *   signet-bench-client latency SOCKET REQUEST COUNT --expect result|echo
 *       one connection, COUNT round trips one after the other; prints percentiles as JSON
 *   signet-bench-client throughput SOCKET REQUEST CLIENTS DURATION_MS --expect result|echo
 *       CLIENTS connections, each with one request in flight at all times (closed loop), DURATION_MS long after a
 *       short warm-up; prints requests per second as JSON
 *   signet-bench-client wait SOCKET TIMEOUT_MS
 *       connects again and again until a connection is accepted; prints CLOCK_MONOTONIC nanoseconds at that
 *       moment (node's process.hrtime uses the same clock), to time an agent's start
 *
 * --expect result: every reply must be a response with "result" (an "error" reply means something is broken).
 * --expect echo:   every reply must be the request itself.
 * Any unexpected reply ends the run with exit status 1 and says which; exit status 2 is bad usage.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum expect { EXPECT_RESULT, EXPECT_ECHO };

/* Replies larger than this are a protocol failure here (the agent's cap is 1 MiB; ours are < 4 KiB). */
#define REPLY_MAX (64 * 1024)

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: signet-bench-client once SOCKET REQUEST\n"
            "       signet-bench-client latency SOCKET REQUEST COUNT --expect result|echo\n"
            "       signet-bench-client throughput SOCKET REQUEST CLIENTS DURATION_MS --expect result|echo\n"
            "       signet-bench-client wait SOCKET TIMEOUT_MS\n");
    exit(2);
}

static long positive(const char *text, const char *what)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || !end || *end || value <= 0) {
        fprintf(stderr, "signet-bench-client: %s must be a positive integer, not '%s'\n", what, text);
        exit(2);
    }
    return value;
}

/* Returns a connected socket, or -1 with errno set. */
static int connect_to(const char *path)
{
    struct sockaddr_un address;
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof address.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static int connect_or_die(const char *path)
{
    int fd = connect_to(path);
    if (fd < 0) {
        fprintf(stderr, "signet-bench-client: cannot connect to %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return fd;
}

static void write_all(int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "signet-bench-client: write failed: %s\n", n < 0 ? strerror(errno) : "nothing written");
            exit(1);
        }
        data += n;
        size -= (size_t)n;
    }
}

/* Checks one reply line (without its newline). Error replies carry no token, so they may be quoted. */
static void check_reply(enum expect expect, const char *request, size_t request_size, const char *reply, size_t size)
{
    if (expect == EXPECT_ECHO) {
        if (size == request_size && memcmp(reply, request, size) == 0)
            return;
        fprintf(stderr, "signet-bench-client: the echo server answered %zu bytes that are not the request\n", size);
        exit(1);
    }
    /* Borrowed lines end with '\n' in their buffers, so strstr stops there at the latest. */
    char *copy = strndup(reply, size);
    if (!copy)
        exit(1);
    if (!strstr(copy, "\"result\":")) {
        fprintf(stderr, "signet-bench-client: the agent did not answer with a result: %.300s\n", copy);
        exit(1);
    }
    if (strstr(copy, "\"error\":")) {
        fprintf(stderr, "signet-bench-client: the agent's reply has both a result and an error\n");
        exit(1);
    }
    free(copy);
}

/* Blocking: reads one line into buffer (REPLY_MAX), returns its length without the newline. */
static size_t read_line(int fd, char *buffer)
{
    size_t used = 0;
    for (;;) {
        ssize_t n = read(fd, buffer + used, REPLY_MAX - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "signet-bench-client: the server %s\n",
                    n == 0 ? "closed the connection" : strerror(errno));
            exit(1);
        }
        char *newline = memchr(buffer + used, '\n', (size_t)n);
        used += (size_t)n;
        if (newline)
            return (size_t)(newline - buffer);
        if (used == REPLY_MAX) {
            fprintf(stderr, "signet-bench-client: a reply longer than %d bytes\n", REPLY_MAX);
            exit(1);
        }
    }
}

static char *request_line(const char *request, size_t *size)
{
    *size = strlen(request);
    if (*size == 0 || memchr(request, '\n', *size)) {
        fprintf(stderr, "signet-bench-client: REQUEST must be one non-empty line, without the newline\n");
        exit(2);
    }
    char *line = malloc(*size + 1);
    if (!line)
        exit(1);
    memcpy(line, request, *size);
    line[*size] = '\n';
    return line;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static double percentile_us(const uint64_t *sorted, size_t count, double p)
{
    size_t index = (size_t)(p * (double)(count - 1) + 0.5);
    return (double)sorted[index] / 1000.0;
}

static int run_once(const char *socket_path, const char *request)
{
    size_t size;
    char *line = request_line(request, &size);
    char *buffer = malloc(REPLY_MAX);
    if (!buffer)
        return 1;
    int fd = connect_or_die(socket_path);
    write_all(fd, line, size + 1);
    size_t reply = read_line(fd, buffer);
    printf("%zu\n", reply + 1);
    close(fd);
    free(buffer);
    free(line);
    return 0;
}

static int run_latency(const char *socket_path, const char *request, long count, enum expect expect)
{
    size_t size;
    char *line = request_line(request, &size);
    char *buffer = malloc(REPLY_MAX);
    uint64_t *samples = malloc(sizeof *samples * (size_t)count);
    if (!buffer || !samples)
        return 1;
    int fd = connect_or_die(socket_path);
    /* Warm-up: caches, the server's first-request paths, the CPU frequency. Not counted. */
    long warmup = count / 10 < 200 ? count / 10 : 200;
    size_t reply = 0;
    for (long i = 0; i < warmup; i++) {
        write_all(fd, line, size + 1);
        reply = read_line(fd, buffer);
        check_reply(expect, line, size, buffer, reply);
    }
    uint64_t total = 0;
    for (long i = 0; i < count; i++) {
        uint64_t start = now_ns();
        write_all(fd, line, size + 1);
        reply = read_line(fd, buffer);
        samples[i] = now_ns() - start;
        total += samples[i];
        check_reply(expect, line, size, buffer, reply);
    }
    close(fd);
    qsort(samples, (size_t)count, sizeof *samples, compare_u64);
    printf("{\"count\": %ld, \"reply_bytes\": %zu, \"request_bytes\": %zu, \"min_us\": %.2f, \"p50_us\": %.2f, "
           "\"p90_us\": %.2f, \"p99_us\": %.2f, \"max_us\": %.2f, \"mean_us\": %.2f}\n",
           count, reply + 1, size + 1, (double)samples[0] / 1000.0, percentile_us(samples, (size_t)count, 0.50),
           percentile_us(samples, (size_t)count, 0.90), percentile_us(samples, (size_t)count, 0.99),
           (double)samples[count - 1] / 1000.0, (double)total / 1000.0 / (double)count);
    free(samples);
    free(buffer);
    free(line);
    return 0;
}

struct connection {
    int fd;
    size_t used;  /* bytes of the reply read so far */
    size_t sent;  /* bytes of the request written so far */
    char *buffer; /* REPLY_MAX */
};

/* Writes what is left of the request; returns 1 when all of it is out. */
static int send_more(struct connection *c, const char *line, size_t size)
{
    while (c->sent < size) {
        ssize_t n = write(c->fd, line + c->sent, size - c->sent);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0) {
            fprintf(stderr, "signet-bench-client: write failed: %s\n", n < 0 ? strerror(errno) : "nothing written");
            exit(1);
        }
        c->sent += (size_t)n;
    }
    return 1;
}

static int run_throughput(const char *socket_path, const char *request, long clients, long duration_ms,
                          enum expect expect)
{
    size_t size;
    char *line = request_line(request, &size);
    struct connection *connections = calloc((size_t)clients, sizeof *connections);
    int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (!connections || epoll_fd < 0)
        return 1;
    for (long i = 0; i < clients; i++) {
        struct connection *c = &connections[i];
        c->fd = connect_or_die(socket_path);
        c->buffer = malloc(REPLY_MAX);
        if (!c->buffer)
            return 1;
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event event = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
        if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c->fd, &event) != 0) {
            fprintf(stderr, "signet-bench-client: epoll_ctl: %s\n", strerror(errno));
            return 1;
        }
    }
    for (long i = 0; i < clients; i++)
        send_more(&connections[i], line, size + 1);

    /* A short warm-up (every connection has answered a few times), then the measured window. */
    const uint64_t warmup_ns = 300000000u;
    const uint64_t started = now_ns();
    const uint64_t window_start = started + warmup_ns;
    const uint64_t window_end = window_start + (uint64_t)duration_ms * 1000000u;
    uint64_t counted = 0;
    uint64_t replies = 0; /* all of them, warm-up included: to divide the server's CPU time by */
    uint64_t last_reply = started;
    struct epoll_event events[256];
    for (;;) {
        uint64_t now = now_ns();
        if (now >= window_end)
            break;
        int ready = epoll_wait(epoll_fd, events, 256, 100);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0) {
            fprintf(stderr, "signet-bench-client: epoll_wait: %s\n", strerror(errno));
            return 1;
        }
        now = now_ns();
        if (ready == 0 && now - last_reply > 5000000000u) {
            fprintf(stderr, "signet-bench-client: no reply for 5 s (%ld clients)\n", clients);
            return 1;
        }
        for (int e = 0; e < ready; e++) {
            struct connection *c = events[e].data.ptr;
            if (events[e].events & EPOLLOUT && c->sent <= size)
                send_more(c, line, size + 1);
            if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                continue;
            for (;;) {
                ssize_t n = read(c->fd, c->buffer + c->used, REPLY_MAX - c->used);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                    break;
                if (n <= 0) {
                    fprintf(stderr, "signet-bench-client: the server %s (%ld clients)\n",
                            n == 0 ? "closed a connection" : strerror(errno), clients);
                    return 1;
                }
                c->used += (size_t)n;
                char *newline = memchr(c->buffer, '\n', c->used);
                if (!newline) {
                    if (c->used == REPLY_MAX) {
                        fprintf(stderr, "signet-bench-client: a reply longer than %d bytes\n", REPLY_MAX);
                        return 1;
                    }
                    continue;
                }
                /* One request in flight per connection: exactly one reply, nothing after it. */
                size_t reply = (size_t)(newline - c->buffer);
                check_reply(expect, line, size, c->buffer, reply);
                if (reply + 1 != c->used) {
                    fprintf(stderr, "signet-bench-client: more than one reply to one request\n");
                    return 1;
                }
                if (now >= window_start && now < window_end)
                    counted++;
                replies++;
                last_reply = now;
                c->used = 0;
                c->sent = 0;
                send_more(c, line, size + 1);
            }
        }
    }
    double window = (double)duration_ms / 1000.0;
    printf("{\"clients\": %ld, \"seconds\": %.3f, \"requests\": %llu, \"rps\": %.0f, \"replies\": %llu}\n", clients,
           window, (unsigned long long)counted, (double)counted / window, (unsigned long long)replies);
    for (long i = 0; i < clients; i++) {
        close(connections[i].fd);
        free(connections[i].buffer);
    }
    free(connections);
    close(epoll_fd);
    free(line);
    return 0;
}

static int run_wait(const char *socket_path, long timeout_ms)
{
    const uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        int fd = connect_to(socket_path);
        if (fd >= 0) {
            uint64_t at = now_ns();
            close(fd);
            printf("%llu\n", (unsigned long long)at);
            return 0;
        }
        if (now_ns() > deadline) {
            fprintf(stderr, "signet-bench-client: nothing accepted connections on %s within %ld ms (%s)\n",
                    socket_path, timeout_ms, strerror(errno));
            return 1;
        }
        /* 0.2 ms between attempts: fine enough for a start measured in milliseconds, and leaves the CPU to
           the process being timed. */
        struct timespec pause = {0, 200000};
        nanosleep(&pause, NULL);
    }
}

static enum expect parse_expect(int argc, char **argv, int at)
{
    if (argc != at + 2 || strcmp(argv[at], "--expect") != 0)
        usage();
    if (strcmp(argv[at + 1], "result") == 0)
        return EXPECT_RESULT;
    if (strcmp(argv[at + 1], "echo") == 0)
        return EXPECT_ECHO;
    fprintf(stderr, "signet-bench-client: --expect takes 'result' or 'echo', not '%s'\n", argv[at + 1]);
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        usage();
    const char *mode = argv[1];
    const char *socket_path = argv[2];
    if (strcmp(mode, "once") == 0 && argc == 4)
        return run_once(socket_path, argv[3]);
    if (strcmp(mode, "latency") == 0 && argc >= 5)
        return run_latency(socket_path, argv[3], positive(argv[4], "COUNT"), parse_expect(argc, argv, 5));
    if (strcmp(mode, "throughput") == 0 && argc >= 6)
        return run_throughput(socket_path, argv[3], positive(argv[4], "CLIENTS"),
                              positive(argv[5], "DURATION_MS"), parse_expect(argc, argv, 6));
    if (strcmp(mode, "wait") == 0 && argc == 4)
        return run_wait(socket_path, positive(argv[3], "TIMEOUT_MS"));
    usage();
}
