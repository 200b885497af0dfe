/* A line pipe to the agent for tests: stdin lines go to $XDG_RUNTIME_DIR/signet/agent.sock, every line
   the agent sends goes to stdout. Not an interpreter, so the agent identifies it by its executable:
   tests copy it next to a copy of signet-agent under the name `signet` to play the Signet window
   (tests/standins/apps.test.mjs). Exits when stdin ends or the agent hangs up. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int write_all(int fd, const char *data, size_t size)
{
    while (size > 0) {
        const ssize_t n = write(fd, data, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        size -= (size_t)n;
    }
    return 0;
}

int main(void)
{
    const char *runtime = getenv("XDG_RUNTIME_DIR");
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (!runtime || snprintf(address.sun_path, sizeof(address.sun_path), "%s/signet/agent.sock", runtime) >= (int)sizeof(address.sun_path)) {
        fputs("rawclient: XDG_RUNTIME_DIR is not set or too long\n", stderr);
        return 2;
    }
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) {
        perror("rawclient: connect");
        return 4;
    }
    struct pollfd fds[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
    char buffer[65536];
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        if (fds[1].revents & (POLLIN | POLLHUP)) {
            const ssize_t n = read(fd, buffer, sizeof(buffer));
            if (n <= 0)
                return 0;
            if (write_all(STDOUT_FILENO, buffer, (size_t)n) != 0)
                return 1;
        }
        if (fds[0].revents & (POLLIN | POLLHUP)) {
            const ssize_t n = read(STDIN_FILENO, buffer, sizeof(buffer));
            if (n <= 0)
                return 0;
            if (write_all(fd, buffer, (size_t)n) != 0)
                return 1;
        }
    }
}
