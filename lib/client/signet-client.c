/* signet-client: see signet-client.h and docs/ipc.md. */
#define _GNU_SOURCE /* SOCK_CLOEXEC, MSG_NOSIGNAL are also in POSIX.1-2024; glibc wants this for C11 */

#include "signet-client.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

_Static_assert(SIGNET_CLIENT_SOCKET_PATH_MAX == sizeof(((struct sockaddr_un *)0)->sun_path), "sun_path size");

#define READ_CHUNK (64 * 1024)
/* Never buffer more than one maximal line plus one read: a longer line is refused before that. */
#define BUFFER_LIMIT (SIGNET_CLIENT_MAX_MESSAGE_BYTES + READ_CHUNK)

#define START_AGENT_HINT "Start it with 'systemctl --user start signet-agent' or run 'signet-agent'."

struct signet_client {
    int fd;
    int interrupt_fd;
    json_int_t next_id;

    /* Received bytes not yet handed out: buffer[start, length). Bytes in [start, scanned) hold no '\n'. */
    char *buffer;
    size_t capacity;
    size_t start;
    size_t length;
    size_t scanned;
    int eof;

    /* Set once the stream cannot be trusted any more (I/O error, EOF, oversized line): replayed after. */
    signet_error failure;
};

/* ---- errors ---------------------------------------------------------------------------------------- */

static void copy_string(char *target, size_t size, const char *source)
{
    snprintf(target, size, "%s", source ? source : "");
}

__attribute__((format(printf, 4, 5))) static void set_error(signet_error *err, signet_error_kind kind, int sys_errno,
                                                            const char *format, ...)
{
    if (!err)
        return;
    err->kind = kind;
    err->sys_errno = sys_errno;
    err->code[0] = '\0';
    va_list args;
    va_start(args, format);
    vsnprintf(err->message, sizeof(err->message), format, args);
    va_end(args);
}

static void set_no_memory(signet_error *err)
{
    set_error(err, SIGNET_ERROR_NO_MEMORY, ENOMEM, "Out of memory.");
}

void signet_error_clear(signet_error *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
}

const char *signet_error_kind_name(signet_error_kind kind)
{
    switch (kind) {
    case SIGNET_ERROR_NONE: return "none";
    case SIGNET_ERROR_AGENT_NOT_RUNNING: return "agent-not-running";
    case SIGNET_ERROR_CONNECT: return "connect";
    case SIGNET_ERROR_IO: return "io";
    case SIGNET_ERROR_CLOSED: return "closed";
    case SIGNET_ERROR_PROTOCOL: return "protocol";
    case SIGNET_ERROR_REMOTE: return "remote";
    case SIGNET_ERROR_TIMEOUT: return "timeout";
    case SIGNET_ERROR_INTERRUPTED: return "interrupted";
    case SIGNET_ERROR_INVALID_ARGUMENT: return "invalid-argument";
    case SIGNET_ERROR_NO_MEMORY: return "no-memory";
    }
    return "unknown";
}

/* The table in docs/ipc.md ("Errors"); keep both in step. */
static const struct {
    const char *code;
    int exit_code;
} exit_codes[] = {
    {"bad_request", SIGNET_EXIT_USAGE},
    {"unknown_method", SIGNET_EXIT_USAGE},
    {"unsupported_protocol", SIGNET_EXIT_FAILURE},
    {"frame_too_large", SIGNET_EXIT_USAGE},
    {"unknown_provider", SIGNET_EXIT_USAGE},
    {"not_signed_in", SIGNET_EXIT_NOT_SIGNED_IN},
    {"busy", SIGNET_EXIT_FAILURE},
    {"cancelled", SIGNET_EXIT_FAILURE},
    {"state_expired", SIGNET_EXIT_PROVIDER_ERROR},
    {"access_denied", SIGNET_EXIT_PROVIDER_ERROR},
    {"provider_error", SIGNET_EXIT_PROVIDER_ERROR},
    {"provider_unreachable", SIGNET_EXIT_PROVIDER_ERROR},
    {"policy_refused", SIGNET_EXIT_POLICY_REFUSED},
    {"not_granted", SIGNET_EXIT_POLICY_REFUSED},
    {"consent_required", SIGNET_EXIT_POLICY_REFUSED},
    {"not_permitted", SIGNET_EXIT_POLICY_REFUSED},
    {"not_found", SIGNET_EXIT_USAGE},
    {"keychain_error", SIGNET_EXIT_KEYCHAIN_ERROR},
    {"config_error", SIGNET_EXIT_CONFIG_ERROR},
    {"internal", SIGNET_EXIT_FAILURE},
};

int signet_exit_code_for_code(const char *code)
{
    if (!code)
        return SIGNET_EXIT_FAILURE;
    for (size_t i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); ++i) {
        if (strcmp(exit_codes[i].code, code) == 0)
            return exit_codes[i].exit_code;
    }
    return SIGNET_EXIT_FAILURE;
}

int signet_exit_code(const signet_error *err)
{
    if (!err)
        return SIGNET_EXIT_OK;
    switch (err->kind) {
    case SIGNET_ERROR_NONE:
        return SIGNET_EXIT_OK;
    case SIGNET_ERROR_REMOTE:
        return signet_exit_code_for_code(err->code);
    case SIGNET_ERROR_AGENT_NOT_RUNNING:
    case SIGNET_ERROR_CLOSED:
        return SIGNET_EXIT_AGENT_NOT_RUNNING;
    case SIGNET_ERROR_INVALID_ARGUMENT:
        return SIGNET_EXIT_USAGE;
    case SIGNET_ERROR_CONNECT:
    case SIGNET_ERROR_IO:
    case SIGNET_ERROR_PROTOCOL:
    case SIGNET_ERROR_TIMEOUT:
    case SIGNET_ERROR_INTERRUPTED:
    case SIGNET_ERROR_NO_MEMORY:
        break;
    }
    return SIGNET_EXIT_FAILURE;
}

/* ---- connecting ------------------------------------------------------------------------------------ */

int signet_default_socket_path(char *buffer, size_t size, signet_error *err)
{
    const char *runtime_dir = getenv("XDG_RUNTIME_DIR");
    if (!runtime_dir || !*runtime_dir) {
        set_error(err, SIGNET_ERROR_AGENT_NOT_RUNNING, 0,
                  "XDG_RUNTIME_DIR is not set, so the agent's socket cannot be found. A desktop login sets it; "
                  "under su or sudo it is usually missing: log in as the user, or set it (normally /run/user/<uid>).");
        return -1;
    }
    /* The XDG Base Directory spec: relative paths are invalid and must be ignored. */
    if (runtime_dir[0] != '/') {
        set_error(err, SIGNET_ERROR_AGENT_NOT_RUNNING, 0,
                  "XDG_RUNTIME_DIR is '%.200s', which is not an absolute path, so the agent's socket cannot be found. "
                  "Set it to an absolute path (normally /run/user/<uid>).",
                  runtime_dir);
        return -1;
    }
    if (!buffer) {
        set_error(err, SIGNET_ERROR_INVALID_ARGUMENT, 0, "No buffer for the socket path.");
        return -1;
    }
    const int needed = snprintf(buffer, size, "%s/signet/agent.sock", runtime_dir);
    if (needed < 0 || (size_t)needed >= SIGNET_CLIENT_SOCKET_PATH_MAX) {
        if (size)
            buffer[0] = '\0';
        set_error(err, SIGNET_ERROR_CONNECT, ENAMETOOLONG,
                  "XDG_RUNTIME_DIR ('%.200s') is too long for a UNIX socket path (at most %d bytes).", runtime_dir,
                  SIGNET_CLIENT_SOCKET_PATH_MAX - 1);
        return -1;
    }
    if ((size_t)needed >= size) {
        if (size)
            buffer[0] = '\0';
        set_error(err, SIGNET_ERROR_INVALID_ARGUMENT, 0, "The buffer for the socket path is too small.");
        return -1;
    }
    return 0;
}

signet_client *signet_client_connect(const char *socket_path, signet_error *err)
{
    char default_path[SIGNET_CLIENT_SOCKET_PATH_MAX];
    if (!socket_path) {
        if (signet_default_socket_path(default_path, sizeof(default_path), err) < 0)
            return NULL;
        socket_path = default_path;
    }

    struct sockaddr_un address;
    memset(&address, 0, sizeof(address));
    address.sun_family = AF_UNIX;
    if (!*socket_path || strlen(socket_path) >= sizeof(address.sun_path)) {
        set_error(err, SIGNET_ERROR_CONNECT, ENAMETOOLONG,
                  "'%.300s' cannot be a UNIX socket path (it must have 1 to %zu bytes).", socket_path,
                  sizeof(address.sun_path) - 1);
        return NULL;
    }
    memcpy(address.sun_path, socket_path, strlen(socket_path) + 1);

    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        const int error = errno;
        set_error(err, SIGNET_ERROR_CONNECT, error, "Cannot create a socket: %s.", strerror(error));
        return NULL;
    }
    /* A UNIX stream connect interrupted by a signal has not connected yet (Linux waits for backlog room
       before it links the sockets), so trying again is right. */
    int result;
    do {
        result = connect(fd, (const struct sockaddr *)&address, sizeof(address));
    } while (result < 0 && errno == EINTR);
    if (result < 0 && errno == EISCONN)
        result = 0; /* an interrupted attempt did connect after all */
    if (result < 0) {
        const int error = errno;
        close(fd);
        if (error == ENOENT || error == ENOTDIR)
            set_error(err, SIGNET_ERROR_AGENT_NOT_RUNNING, error,
                      "The Signet agent is not running (there is no socket at %.300s). " START_AGENT_HINT, socket_path);
        else if (error == ECONNREFUSED)
            set_error(err, SIGNET_ERROR_AGENT_NOT_RUNNING, error,
                      "The Signet agent is not running (nothing listens on %.300s). " START_AGENT_HINT, socket_path);
        else
            set_error(err, SIGNET_ERROR_CONNECT, error, "Cannot connect to the Signet agent at %.300s: %s.", socket_path,
                      strerror(error));
        return NULL;
    }

#ifdef SO_PEERCRED
    /* The agent's directory is private, so only this user's agent can listen there; a misconfigured
       XDG_RUNTIME_DIR (or --socket) could still point at another user's socket. Never talk to that. */
    struct ucred peer;
    socklen_t peer_length = sizeof(peer);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &peer_length) != 0 || peer.uid != getuid()) {
        close(fd);
        set_error(err, SIGNET_ERROR_CONNECT, EACCES,
                  "The process listening on %.300s belongs to another user; Signet will not talk to it. Check XDG_RUNTIME_DIR.",
                  socket_path);
        return NULL;
    }
#endif

    signet_client *client = calloc(1, sizeof(*client));
    if (!client) {
        close(fd);
        set_no_memory(err);
        return NULL;
    }
    client->fd = fd;
    client->interrupt_fd = -1;
    client->next_id = 1;
    return client;
}

void signet_client_close(signet_client *client)
{
    if (!client)
        return;
    /* close() may report EINTR on Linux, but the descriptor is released anyway: never retry it. */
    close(client->fd);
    free(client->buffer);
    free(client);
}

int signet_client_fd(const signet_client *client)
{
    return client ? client->fd : -1;
}

int signet_client_is_usable(const signet_client *client)
{
    return client && client->failure.kind == SIGNET_ERROR_NONE;
}

void signet_client_set_interrupt_fd(signet_client *client, int fd)
{
    if (client)
        client->interrupt_fd = fd;
}

/* ---- helpers --------------------------------------------------------------------------------------- */

static int check_usable(signet_client *client, signet_error *err)
{
    if (!client) {
        set_error(err, SIGNET_ERROR_INVALID_ARGUMENT, 0, "No connection to the agent (the client is NULL).");
        return -1;
    }
    if (client->failure.kind != SIGNET_ERROR_NONE) {
        if (err)
            *err = client->failure;
        return -1;
    }
    return 0;
}

/* Remembers a failure that leaves the stream unusable, and reports it. */
static void fail_connection(signet_client *client, signet_error *err, signet_error_kind kind, int sys_errno, const char *message)
{
    set_error(&client->failure, kind, sys_errno, "%s", message);
    if (err)
        *err = client->failure;
}

static long long monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static long long deadline_after(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : monotonic_ms() + timeout_ms;
}

static int remaining_ms(long long deadline)
{
    if (deadline < 0)
        return -1;
    const long long left = deadline - monotonic_ms();
    if (left <= 0)
        return 0;
    return left > INT_MAX ? INT_MAX : (int)left;
}

/* ---- sending --------------------------------------------------------------------------------------- */

static int write_all(signet_client *client, const char *data, size_t size, signet_error *err)
{
    while (size > 0) {
        /* MSG_NOSIGNAL: a closed agent gives EPIPE here instead of killing the process with SIGPIPE. */
        const ssize_t written = send(client->fd, data, size, MSG_NOSIGNAL);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd pfd = {.fd = client->fd, .events = POLLOUT};
                if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
                    const int error = errno;
                    set_error(err, SIGNET_ERROR_IO, error, "Cannot wait for the agent's socket: %s.", strerror(error));
                    return -1;
                }
                continue;
            }
            const int error = errno;
            char message[sizeof(err->message)];
            if (error == EPIPE || error == ECONNRESET)
                snprintf(message, sizeof(message), "The agent closed the connection (it may have stopped).");
            else
                snprintf(message, sizeof(message), "Cannot send to the agent: %s.", strerror(error));
            fail_connection(client, err, SIGNET_ERROR_IO, error, message);
            return -1;
        }
        data += written;
        size -= (size_t)written;
    }
    return 0;
}

json_int_t signet_client_send(signet_client *client, const char *method, json_t *params, signet_error *err)
{
    if (check_usable(client, err) < 0)
        return -1;
    if (!method || !*method) {
        set_error(err, SIGNET_ERROR_INVALID_ARGUMENT, 0, "A request needs a method.");
        return -1;
    }
    if (params && !json_is_object(params)) {
        set_error(err, SIGNET_ERROR_INVALID_ARGUMENT, 0, "The params of '%.64s' must be a JSON object.", method);
        return -1;
    }

    const json_int_t id = client->next_id;
    json_t *request = json_object();
    if (!request || json_object_set_new(request, "id", json_integer(id)) < 0
        || json_object_set_new(request, "method", json_string(method)) < 0
        || (params && json_object_set(request, "params", params) < 0)) {
        json_decref(request);
        /* json_string() also fails on a method that is not UTF-8. */
        set_error(err, SIGNET_ERROR_INVALID_ARGUMENT, 0, "Cannot build the request '%.64s' (out of memory, or not UTF-8).", method);
        return -1;
    }
    /* Compact JSON never holds a raw newline: jansson escapes it inside strings. */
    char *text = json_dumps(request, JSON_COMPACT);
    json_decref(request);
    if (!text) {
        set_error(err, SIGNET_ERROR_INVALID_ARGUMENT, 0, "Cannot encode the request '%.64s' (out of memory, or bad params).", method);
        return -1;
    }
    size_t length = strlen(text);
    if (length + 1 > SIGNET_CLIENT_MAX_REQUEST_BYTES) {
        free(text);
        set_error(err, SIGNET_ERROR_INVALID_ARGUMENT, 0,
                  "The request '%.64s' has %zu bytes; the agent accepts at most %d per message.", method, length + 1,
                  SIGNET_CLIENT_MAX_REQUEST_BYTES);
        return -1;
    }
    char *line = realloc(text, length + 1);
    if (!line) {
        free(text);
        set_no_memory(err);
        return -1;
    }
    line[length++] = '\n'; /* replaces the NUL: `line` is not a C string from here on */

    const int result = write_all(client, line, length, err);
    free(line);
    if (result < 0)
        return -1;
    client->next_id = id + 1;
    return id;
}

/* ---- reading --------------------------------------------------------------------------------------- */

static int is_blank(const char *data, size_t size)
{
    for (size_t i = 0; i < size; ++i) {
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r')
            return 0;
    }
    return 1;
}

/* Takes one message out of the buffer. Returns 1 (and *message; NULL for a skipped blank line), 0 when no
   whole line is buffered yet, -1 on error. */
static int take_line(signet_client *client, json_t **message, signet_error *err)
{
    *message = NULL;
    char *begin = client->buffer + client->start;
    char *newline = memchr(client->buffer + client->scanned, '\n', client->length - client->scanned);
    if (!newline) {
        client->scanned = client->length;
        if (client->length - client->start >= SIGNET_CLIENT_MAX_MESSAGE_BYTES) {
            char text[200];
            snprintf(text, sizeof(text), "The agent sent a message over %d bytes; the connection is no longer usable.",
                     SIGNET_CLIENT_MAX_MESSAGE_BYTES);
            fail_connection(client, err, SIGNET_ERROR_PROTOCOL, 0, text);
            return -1;
        }
        return 0;
    }
    const size_t line_length = (size_t)(newline - begin); /* without the newline */
    if (line_length + 1 > SIGNET_CLIENT_MAX_MESSAGE_BYTES) {
        char text[200];
        snprintf(text, sizeof(text), "The agent sent a message over %d bytes; the connection is no longer usable.",
                 SIGNET_CLIENT_MAX_MESSAGE_BYTES);
        fail_connection(client, err, SIGNET_ERROR_PROTOCOL, 0, text);
        return -1;
    }
    client->start += line_length + 1;
    client->scanned = client->start;
    if (client->start == client->length)
        client->start = client->length = client->scanned = 0;

    if (is_blank(begin, line_length))
        return 1;

    json_error_t parse_error;
    json_t *parsed = json_loadb(begin, line_length, JSON_REJECT_DUPLICATES, &parse_error);
    if (!parsed) {
        set_error(err, SIGNET_ERROR_PROTOCOL, 0, "The agent sent a message that is not valid JSON (%s at column %d).",
                  parse_error.text, parse_error.column);
        return -1;
    }
    if (!json_is_object(parsed)) {
        json_decref(parsed);
        set_error(err, SIGNET_ERROR_PROTOCOL, 0, "The agent sent a message that is not a JSON object.");
        return -1;
    }
    *message = parsed;
    return 1;
}

/* Makes room for one more read. */
static int reserve(signet_client *client, signet_error *err)
{
    if (client->start > 0) {
        memmove(client->buffer, client->buffer + client->start, client->length - client->start);
        client->length -= client->start;
        client->scanned -= client->start;
        client->start = 0;
    }
    if (client->capacity - client->length >= 4096 || client->capacity >= BUFFER_LIMIT)
        return 0;
    size_t capacity = client->capacity ? client->capacity * 2 : READ_CHUNK;
    if (capacity > BUFFER_LIMIT)
        capacity = BUFFER_LIMIT;
    char *buffer = realloc(client->buffer, capacity);
    if (!buffer) {
        set_no_memory(err);
        return -1;
    }
    client->buffer = buffer;
    client->capacity = capacity;
    return 0;
}

/* Waits until the socket is readable. Returns 1, 0 on timeout, -1 on error/interrupt. */
static int wait_readable(signet_client *client, long long deadline, signet_error *err)
{
    for (;;) {
        struct pollfd fds[2] = {{.fd = client->fd, .events = POLLIN}, {.fd = client->interrupt_fd, .events = POLLIN}};
        const nfds_t count = client->interrupt_fd >= 0 ? 2 : 1;
        const int ready = poll(fds, count, remaining_ms(deadline));
        if (ready < 0) {
            if (errno == EINTR)
                continue; /* the deadline is absolute, so the wait just goes on */
            const int error = errno;
            set_error(err, SIGNET_ERROR_IO, error, "Cannot wait for the agent: %s.", strerror(error));
            return -1;
        }
        if (ready == 0)
            return 0;
        if (count == 2 && fds[1].revents) {
            set_error(err, SIGNET_ERROR_INTERRUPTED, EINTR, "Interrupted.");
            return -1;
        }
        if (fds[0].revents)
            return 1;
    }
}

json_t *signet_client_read(signet_client *client, int timeout_ms, signet_error *err)
{
    if (check_usable(client, err) < 0)
        return NULL;
    const long long deadline = deadline_after(timeout_ms);
    for (;;) {
        json_t *message;
        while (client->length > client->start) {
            const int taken = take_line(client, &message, err);
            if (taken < 0)
                return NULL;
            if (taken == 0)
                break;
            if (message)
                return message;
        }
        if (client->eof) {
            if (client->length > client->start)
                fail_connection(client, err, SIGNET_ERROR_IO, 0,
                                "The agent closed the connection in the middle of a message (it may have crashed).");
            else
                fail_connection(client, err, SIGNET_ERROR_CLOSED, 0, "The agent closed the connection (it may have stopped).");
            return NULL;
        }

        const int ready = wait_readable(client, deadline, err);
        if (ready < 0)
            return NULL;
        if (ready == 0) {
            set_error(err, SIGNET_ERROR_TIMEOUT, ETIMEDOUT, "The agent did not answer in time.");
            return NULL;
        }
        if (reserve(client, err) < 0)
            return NULL;
        const ssize_t received = recv(client->fd, client->buffer + client->length, client->capacity - client->length, 0);
        if (received < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            const int error = errno;
            char text[sizeof(err->message)];
            snprintf(text, sizeof(text), "Cannot read from the agent: %s.", strerror(error));
            fail_connection(client, err, error == ECONNRESET ? SIGNET_ERROR_CLOSED : SIGNET_ERROR_IO, error, text);
            return NULL;
        }
        if (received == 0)
            client->eof = 1;
        client->length += (size_t)received;
    }
}

/* ---- messages -------------------------------------------------------------------------------------- */

signet_message_kind signet_message_get_kind(const json_t *message)
{
    if (!json_is_object(message))
        return SIGNET_MESSAGE_UNKNOWN;
    if (json_object_get(message, "event"))
        return SIGNET_MESSAGE_EVENT;
    if (json_object_get(message, "result") || json_object_get(message, "error"))
        return SIGNET_MESSAGE_RESPONSE;
    return SIGNET_MESSAGE_UNKNOWN;
}

int signet_message_get_id(const json_t *message, json_int_t *id)
{
    const json_t *value = json_object_get(message, "id");
    json_int_t number;
    if (json_is_integer(value)) {
        number = json_integer_value(value);
    } else if (json_is_real(value)) {
        /* Some encoders write integral numbers as 1.0; accept them, nothing else. */
        const double real = json_real_value(value);
        if (!(real >= -9007199254740992.0 && real <= 9007199254740992.0) || (double)(json_int_t)real != real)
            return 0;
        number = (json_int_t)real;
    } else {
        return 0;
    }
    if (id)
        *id = number;
    return 1;
}

const char *signet_message_get_event(const json_t *message)
{
    return json_string_value(json_object_get(message, "event"));
}

int signet_message_get_error(const json_t *message, signet_error *err)
{
    const json_t *error = json_object_get(message, "error");
    if (!error || json_is_null(error))
        return 0;
    const char *code = json_string_value(json_object_get(error, "code"));
    if (!json_is_object(error) || !code || !*code) {
        set_error(err, SIGNET_ERROR_PROTOCOL, 0, "The agent answered with an error that has no code.");
        return 1;
    }
    const char *text = json_string_value(json_object_get(error, "message"));
    if (err) {
        err->kind = SIGNET_ERROR_REMOTE;
        err->sys_errno = 0;
        copy_string(err->code, sizeof(err->code), code);
        if (text && *text)
            copy_string(err->message, sizeof(err->message), text);
        else
            snprintf(err->message, sizeof(err->message), "The agent answered with the error '%s'.", err->code);
    }
    return 1;
}

json_t *signet_client_call(signet_client *client, const char *method, json_t *params, int timeout_ms,
                           signet_message_fn on_message, void *user_data, signet_error *err)
{
    const long long deadline = deadline_after(timeout_ms);
    const json_int_t id = signet_client_send(client, method, params, err);
    if (id < 0)
        return NULL;
    for (;;) {
        json_t *message = signet_client_read(client, remaining_ms(deadline), err);
        if (!message)
            return NULL;
        json_int_t message_id;
        if (signet_message_get_kind(message) == SIGNET_MESSAGE_RESPONSE && signet_message_get_id(message, &message_id)
            && message_id == id) {
            if (signet_message_get_error(message, err)) {
                json_decref(message);
                return NULL;
            }
            json_t *result = json_object_get(message, "result");
            if (!result) {
                json_decref(message);
                set_error(err, SIGNET_ERROR_PROTOCOL, 0, "The agent's answer to '%.64s' has neither a result nor an error.", method);
                return NULL;
            }
            json_incref(result);
            json_decref(message);
            return result;
        }
        if (on_message)
            on_message(message, user_data);
        json_decref(message);
    }
}
