/*
 * signet-bench-rawecho: the floor of the IPC benchmark (bench/README.md). A plain C, single-threaded poll()
 * server on a UNIX stream socket that answers every line with the same line: what a local round trip costs when
 * the server does nothing. Single-threaded like the agent, so the throughput comparison is like for like.
 *
 *   signet-bench-rawecho SOCKET      prints "ready" on stdout once it listens; runs until SIGTERM/SIGINT
 */
#define _GNU_SOURCE /* accept4 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CLIENTS 2048
#define BUFFER_SIZE (64 * 1024) /* the agent's cap for a client message */

struct client {
    char *in;
    size_t used;
    char *out; /* what could not be written at once */
    size_t out_used;
};

static volatile sig_atomic_t stopping = 0;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static void drop(struct pollfd *fds, struct client *clients, nfds_t *count, nfds_t i)
{
    close(fds[i].fd);
    free(clients[i].in);
    free(clients[i].out);
    fds[i] = fds[*count - 1];
    clients[i] = clients[*count - 1];
    (*count)--;
}

/* Queues `size` bytes for client i and writes what the socket takes now. Returns -1 when the client is gone. */
static int reply(struct pollfd *fd, struct client *c, const char *data, size_t size)
{
    if (c->out_used == 0) {
        ssize_t n = write(fd->fd, data, size);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        if (n > 0) {
            data += n;
            size -= (size_t)n;
        }
    }
    if (size == 0)
        return 0;
    char *grown = realloc(c->out, c->out_used + size);
    if (!grown)
        return -1;
    c->out = grown;
    memcpy(c->out + c->out_used, data, size);
    c->out_used += size;
    fd->events |= POLLOUT;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: signet-bench-rawecho SOCKET\n");
        return 2;
    }
    struct sockaddr_un address;
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    if (strlen(argv[1]) >= sizeof address.sun_path) {
        fprintf(stderr, "signet-bench-rawecho: socket path too long: %s\n", argv[1]);
        return 2;
    }
    strcpy(address.sun_path, argv[1]);
    unlink(argv[1]);
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 1024) != 0) {
        fprintf(stderr, "signet-bench-rawecho: cannot listen on %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);

    static struct pollfd fds[MAX_CLIENTS + 1];
    static struct client clients[MAX_CLIENTS + 1];
    fds[0] = (struct pollfd){.fd = listener, .events = POLLIN};
    nfds_t count = 1;
    printf("ready\n");
    fflush(stdout);

    while (!stopping) {
        int ready = poll(fds, count, -1);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "signet-bench-rawecho: poll: %s\n", strerror(errno));
            return 1;
        }
        if (fds[0].revents & POLLIN) {
            for (;;) {
                int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0)
                    break;
                if (count > MAX_CLIENTS) {
                    close(fd);
                    continue;
                }
                fds[count] = (struct pollfd){.fd = fd, .events = POLLIN};
                clients[count] = (struct client){.in = malloc(BUFFER_SIZE)};
                if (!clients[count].in) {
                    close(fd);
                    continue;
                }
                count++;
            }
        }
        for (nfds_t i = 1; i < count; i++) {
            short revents = fds[i].revents;
            fds[i].revents = 0;
            struct client *c = &clients[i];
            if (revents & POLLOUT && c->out_used > 0) {
                ssize_t n = write(fds[i].fd, c->out, c->out_used);
                if (n > 0) {
                    memmove(c->out, c->out + n, c->out_used - (size_t)n);
                    c->out_used -= (size_t)n;
                }
                if (c->out_used == 0)
                    fds[i].events &= ~POLLOUT;
            }
            if (!(revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(fds[i].fd, c->in + c->used, BUFFER_SIZE - c->used);
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (n <= 0) {
                drop(fds, clients, &count, i--);
                continue;
            }
            c->used += (size_t)n;
            /* Echo every complete line; keep the unfinished tail. */
            size_t start = 0;
            char *newline;
            int gone = 0;
            while ((newline = memchr(c->in + start, '\n', c->used - start))) {
                size_t end = (size_t)(newline - c->in) + 1;
                if (reply(&fds[i], c, c->in + start, end - start) != 0) {
                    gone = 1;
                    break;
                }
                start = end;
            }
            if (!gone && start == 0 && c->used == BUFFER_SIZE)
                gone = 1; /* a line over the cap, as the agent would refuse it */
            if (gone) {
                drop(fds, clients, &count, i--);
                continue;
            }
            memmove(c->in, c->in + start, c->used - start);
            c->used -= start;
        }
    }
    close(listener);
    unlink(argv[1]);
    return 0;
}
