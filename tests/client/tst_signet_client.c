/*
 * Tests for lib/client (signet-client). The "agent" is this process: it listens on
 * $XDG_RUNTIME_DIR/signet/agent.sock in a temporary directory, accepts the library's connection and writes
 * exactly the bytes each test needs, when it needs them (a forked writer for lines bigger than the socket
 * buffer). No threads, no sleeps to line things up.
 */
#define _GNU_SOURCE

#include "signet-client.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- a tiny harness -------------------------------------------------------------------------------- */

static int passed_count, failed_count, current_failed;

#define CHECK(condition) check_that((condition) != 0, #condition, __FILE__, __LINE__)
#define CHECK_STR(actual, expected) check_strings((actual), (expected), #actual, __FILE__, __LINE__)
#define CHECK_INT(actual, expected) check_ints((long long)(actual), (long long)(expected), #actual, __FILE__, __LINE__)

static int check_that(int ok, const char *what, const char *file, int line)
{
    if (!ok) {
        fprintf(stderr, "  %s:%d: check failed: %s\n", file, line, what);
        current_failed = 1;
    }
    return ok;
}

static int check_strings(const char *actual, const char *expected, const char *what, const char *file, int line)
{
    if (actual && expected && strcmp(actual, expected) == 0)
        return 1;
    fprintf(stderr, "  %s:%d: %s is \"%s\", expected \"%s\"\n", file, line, what, actual ? actual : "(null)",
            expected ? expected : "(null)");
    current_failed = 1;
    return 0;
}

static int check_ints(long long actual, long long expected, const char *what, const char *file, int line)
{
    if (actual == expected)
        return 1;
    fprintf(stderr, "  %s:%d: %s is %lld, expected %lld\n", file, line, what, actual, expected);
    current_failed = 1;
    return 0;
}

static void run_test(const char *name, void (*test)(void))
{
    current_failed = 0;
    test();
    if (current_failed) {
        ++failed_count;
        printf("FAIL %s\n", name);
    } else {
        ++passed_count;
        printf("PASS %s\n", name);
    }
    fflush(stdout);
}

#define RUN(test) run_test(#test, test)

/* ---- the fake agent's side ------------------------------------------------------------------------- */

static char base_dir[1024];

typedef struct fixture {
    char runtime_dir[2048];
    char socket_path[SIGNET_CLIENT_SOCKET_PATH_MAX];
    int listen_fd;
    int server_fd; /* the agent's end of the client's connection */
    signet_client *client;
} fixture;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void make_runtime_dir(char *path, size_t size)
{
    static int counter;
    snprintf(path, size, "%s/run%d", base_dir, ++counter);
    mkdir(path, 0700);
    setenv("XDG_RUNTIME_DIR", path, 1);
}

static int listen_at(const char *path)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    snprintf(address.sun_path, sizeof(address.sun_path), "%s", path);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0 || listen(fd, 8) < 0) {
        perror("listen_at");
        exit(2);
    }
    return fd;
}

/* An agent listening in a fresh runtime dir, and the library connected to it through the default path. */
static void setup(fixture *f)
{
    memset(f, 0, sizeof(*f));
    make_runtime_dir(f->runtime_dir, sizeof(f->runtime_dir));
    char signet_dir[PATH_MAX];
    snprintf(signet_dir, sizeof(signet_dir), "%s/signet", f->runtime_dir);
    mkdir(signet_dir, 0700);
    if (snprintf(f->socket_path, sizeof(f->socket_path), "%s/agent.sock", signet_dir) >= (int)sizeof(f->socket_path)) {
        fprintf(stderr, "TMPDIR is too long for a socket path\n");
        exit(2);
    }
    f->listen_fd = listen_at(f->socket_path);
    signet_error err;
    f->client = signet_client_connect(NULL, &err);
    if (!f->client) {
        fprintf(stderr, "connect: %s\n", err.message);
        exit(2);
    }
    f->server_fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (f->server_fd < 0) {
        perror("accept");
        exit(2);
    }
}

static void teardown(fixture *f)
{
    signet_client_close(f->client);
    if (f->server_fd >= 0)
        close(f->server_fd);
    close(f->listen_fd);
    nftw(f->runtime_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void server_write(fixture *f, const char *data, size_t size)
{
    while (size > 0) {
        const ssize_t written = send(f->server_fd, data, size, MSG_NOSIGNAL);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            perror("server_write");
            exit(2);
        }
        data += written;
        size -= (size_t)written;
    }
}

static void server_say(fixture *f, const char *text)
{
    server_write(f, text, strlen(text));
}

/* Writes `data` from a child process, for lines bigger than the socket buffer; reap with waitpid. */
static pid_t server_write_in_child(fixture *f, const char *data, size_t size)
{
    const pid_t pid = fork();
    if (pid == 0) {
        /* Keep only the agent's end, so closing the client in the parent really closes it. */
        close(signet_client_fd(f->client));
        close(f->listen_fd);
        while (size > 0) {
            const ssize_t written = send(f->server_fd, data, size, MSG_NOSIGNAL);
            if (written < 0 && errno == EINTR)
                continue;
            if (written < 0)
                _exit(0); /* the client gave up reading, as some tests expect */
            data += written;
            size -= (size_t)written;
        }
        _exit(0);
    }
    return pid;
}

/* One whole line the library sent, without its newline, or NULL when none arrives in time. */
static char *server_read_line(fixture *f, int timeout_ms)
{
    static char line[128 * 1024];
    size_t length = 0;
    for (;;) {
        struct pollfd pfd = {.fd = f->server_fd, .events = POLLIN};
        if (poll(&pfd, 1, timeout_ms) <= 0)
            return NULL;
        const ssize_t got = recv(f->server_fd, line + length, 1, 0);
        if (got <= 0)
            return NULL;
        if (line[length] == '\n') {
            line[length] = '\0';
            return line;
        }
        if (++length == sizeof(line) - 1)
            return NULL;
    }
}

static long long now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* A line of exactly `total` bytes, newline included: {"id":1,"result":"aaa…"}\n */
static char *make_line(size_t total, size_t *size)
{
    static const char head[] = "{\"id\":1,\"result\":\"";
    static const char tail[] = "\"}\n";
    char *line = malloc(total + 1);
    memcpy(line, head, sizeof(head) - 1);
    memset(line + sizeof(head) - 1, 'a', total - (sizeof(head) - 1) - (sizeof(tail) - 1));
    memcpy(line + total - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
    line[total] = '\0';
    *size = total;
    return line;
}

/* ---- socket path and connecting -------------------------------------------------------------------- */

static void test_default_socket_path(void)
{
    char path[SIGNET_CLIENT_SOCKET_PATH_MAX];
    signet_error err;
    setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
    CHECK_INT(signet_default_socket_path(path, sizeof(path), &err), 0);
    CHECK_STR(path, "/run/user/1000/signet/agent.sock");

    char small[8];
    CHECK_INT(signet_default_socket_path(small, sizeof(small), &err), -1);
    CHECK_INT(err.kind, SIGNET_ERROR_INVALID_ARGUMENT);

    char long_dir[200];
    memset(long_dir, 'x', sizeof(long_dir) - 1);
    long_dir[0] = '/';
    long_dir[sizeof(long_dir) - 1] = '\0';
    setenv("XDG_RUNTIME_DIR", long_dir, 1);
    CHECK_INT(signet_default_socket_path(path, sizeof(path), &err), -1);
    CHECK_INT(err.kind, SIGNET_ERROR_CONNECT);
}

static void test_missing_runtime_dir(void)
{
    const char *values[] = {NULL, "", "relative/dir"};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); ++i) {
        if (values[i])
            setenv("XDG_RUNTIME_DIR", values[i], 1);
        else
            unsetenv("XDG_RUNTIME_DIR");
        char path[SIGNET_CLIENT_SOCKET_PATH_MAX];
        signet_error err;
        CHECK_INT(signet_default_socket_path(path, sizeof(path), &err), -1);
        CHECK_INT(err.kind, SIGNET_ERROR_AGENT_NOT_RUNNING);
        CHECK(strstr(err.message, "XDG_RUNTIME_DIR") != NULL);

        signet_error_clear(&err);
        CHECK(signet_client_connect(NULL, &err) == NULL);
        CHECK_INT(err.kind, SIGNET_ERROR_AGENT_NOT_RUNNING);
        CHECK_INT(err.sys_errno, 0);
        CHECK(strstr(err.message, "XDG_RUNTIME_DIR") != NULL);
        CHECK_INT(signet_exit_code(&err), SIGNET_EXIT_AGENT_NOT_RUNNING);
    }
    CHECK(signet_client_connect(NULL, NULL) == NULL); /* a NULL error is fine too */
}

static void test_no_socket(void)
{
    char dir[PATH_MAX];
    make_runtime_dir(dir, sizeof(dir));
    signet_error err;
    CHECK(signet_client_connect(NULL, &err) == NULL);
    CHECK_INT(err.kind, SIGNET_ERROR_AGENT_NOT_RUNNING);
    CHECK_INT(err.sys_errno, ENOENT);
    CHECK(strstr(err.message, "systemctl --user start signet-agent") != NULL);
    CHECK(strstr(err.message, "signet/agent.sock") != NULL);
    CHECK_INT(signet_exit_code(&err), 4);
    rmdir(dir);
}

static void test_connection_refused(void)
{
    char dir[PATH_MAX], path[PATH_MAX];
    make_runtime_dir(dir, sizeof(dir));
    if (snprintf(path, sizeof(path), "%s/stale.sock", dir) >= (int)sizeof(path))
        exit(2);
    /* A socket file nobody listens on any more, as a crashed agent leaves behind. */
    close(listen_at(path));
    signet_error err;
    CHECK(signet_client_connect(path, &err) == NULL);
    CHECK_INT(err.kind, SIGNET_ERROR_AGENT_NOT_RUNNING);
    CHECK_INT(err.sys_errno, ECONNREFUSED);
    CHECK_INT(signet_exit_code(&err), 4);

    char too_long[300];
    memset(too_long, 'x', sizeof(too_long) - 1);
    too_long[sizeof(too_long) - 1] = '\0';
    CHECK(signet_client_connect(too_long, &err) == NULL);
    CHECK_INT(err.kind, SIGNET_ERROR_CONNECT);
    unlink(path);
    rmdir(dir);
}

/* A socket whose listener runs as another user (a wrong XDG_RUNTIME_DIR or --socket) is refused. Creating
   one needs another uid: run as root (as CI does), a child becomes "nobody" and listens. */
static void test_listener_of_another_user(void)
{
    if (geteuid() != 0) {
        printf("  (not root: cannot listen as another user here; CI runs this as root)\n");
        return;
    }
    /* Outside the test's private base directory, which nobody cannot enter. */
    char dir[] = "/tmp/signet-other-user.XXXXXX", path[PATH_MAX];
    if (!mkdtemp(dir) || chmod(dir, 0777) != 0)
        exit(2);
    snprintf(path, sizeof(path), "%s/other.sock", dir);
    int ready[2];
    if (pipe(ready) != 0)
        exit(2);
    const pid_t child = fork();
    if (child == 0) {
        close(ready[0]);
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(3);
        listen_at(path);
        if (write(ready[1], "x", 1) != 1)
            _exit(4);
        pause();
        _exit(0);
    }
    close(ready[1]);
    char byte;
    CHECK(read(ready[0], &byte, 1) == 1);
    close(ready[0]);
    signet_error err;
    signet_client *client = signet_client_connect(path, &err);
    CHECK(client == NULL);
    CHECK_INT(err.kind, SIGNET_ERROR_CONNECT);
    CHECK_INT(err.sys_errno, EACCES);
    CHECK(strstr(err.message, "another user") != NULL);
    signet_client_close(client);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    unlink(path);
    rmdir(dir);
}

static void test_explicit_path_and_cloexec(void)
{
    fixture f;
    setup(&f);
    unsetenv("XDG_RUNTIME_DIR"); /* an explicit path needs no runtime dir */
    signet_error err;
    signet_client *other = signet_client_connect(f.socket_path, &err);
    CHECK(other != NULL);
    const int flags = fcntl(signet_client_fd(other), F_GETFD);
    CHECK(flags >= 0 && (flags & FD_CLOEXEC));
    CHECK(signet_client_is_usable(other));
    signet_client_close(other);
    teardown(&f);
}

/* ---- framing --------------------------------------------------------------------------------------- */

static void test_message_split_byte_by_byte(void)
{
    fixture f;
    setup(&f);
    const char *text = "{\"id\":1,\"result\":{\"name\":\"Zo\xc3\xab\"}}\n";
    signet_error err;
    for (size_t i = 0; text[i]; ++i) {
        if (i > 0) {
            /* Nothing whole yet: a non-blocking read times out and the connection stays fine. */
            CHECK(signet_client_read(f.client, 0, &err) == NULL);
            CHECK_INT(err.kind, SIGNET_ERROR_TIMEOUT);
        }
        server_write(&f, text + i, 1);
    }
    json_t *message = signet_client_read(f.client, 1000, &err);
    CHECK(message != NULL);
    CHECK_STR(json_string_value(json_object_get(json_object_get(message, "result"), "name")), "Zo\xc3\xab");
    json_decref(message);
    CHECK(signet_client_is_usable(f.client));
    teardown(&f);
}

static void test_two_messages_in_one_write(void)
{
    fixture f;
    setup(&f);
    /* Blank lines are ignored (docs/ipc.md, Framing). */
    server_say(&f, "{\"event\":\"signed-out\",\"data\":{\"provider\":\"demo\",\"reason\":\"user\"}}\n\n \r\n"
                   "{\"id\":1,\"result\":{}}\n");
    signet_error err;
    json_t *first = signet_client_read(f.client, 1000, &err);
    json_t *second = signet_client_read(f.client, 0, &err); /* already buffered: no wait needed */
    CHECK(first && signet_message_get_kind(first) == SIGNET_MESSAGE_EVENT);
    CHECK(second && signet_message_get_kind(second) == SIGNET_MESSAGE_RESPONSE);
    json_decref(first);
    json_decref(second);
    CHECK(signet_client_read(f.client, 0, &err) == NULL);
    CHECK_INT(err.kind, SIGNET_ERROR_TIMEOUT);
    teardown(&f);
}

static void test_line_at_the_cap(void)
{
    fixture f;
    setup(&f);
    size_t size;
    char *line = make_line(SIGNET_CLIENT_MAX_MESSAGE_BYTES, &size); /* exactly 1 MiB with its newline */
    char *both = malloc(size + 32);
    memcpy(both, line, size);
    memcpy(both + size, "{\"id\":2,\"result\":{}}\n", 22);
    const pid_t writer = server_write_in_child(&f, both, size + 22);
    signet_error err;
    json_t *message = signet_client_read(f.client, 10000, &err);
    CHECK(message != NULL);
    if (!message)
        fprintf(stderr, "  %s\n", err.message);
    CHECK_INT(json_string_length(json_object_get(message, "result")), SIGNET_CLIENT_MAX_MESSAGE_BYTES - 21); /* minus {"id":1,"result":"  "}\n */
    json_decref(message);
    message = signet_client_read(f.client, 10000, &err);
    json_int_t id = 0;
    CHECK(message && signet_message_get_id(message, &id) && id == 2);
    json_decref(message);
    waitpid(writer, NULL, 0);
    free(both);
    free(line);
    teardown(&f);
}

static void test_line_over_the_cap(void)
{
    fixture f;
    setup(&f);
    size_t size;
    char *line = make_line(SIGNET_CLIENT_MAX_MESSAGE_BYTES + 1, &size);
    const pid_t writer = server_write_in_child(&f, line, size);
    signet_error err;
    CHECK(signet_client_read(f.client, 10000, &err) == NULL);
    CHECK_INT(err.kind, SIGNET_ERROR_PROTOCOL);
    CHECK_INT(signet_exit_code(&err), 1);
    CHECK(!signet_client_is_usable(f.client));
    /* The stream cannot be resynchronised: later calls fail the same way at once. */
    signet_error again;
    CHECK(signet_client_read(f.client, -1, &again) == NULL);
    CHECK_INT(again.kind, SIGNET_ERROR_PROTOCOL);
    CHECK(signet_client_send(f.client, "whoami", NULL, &again) == -1);
    signet_client_close(f.client);
    f.client = NULL;
    close(f.server_fd);
    f.server_fd = -1;
    waitpid(writer, NULL, 0);
    free(line);
    teardown(&f);

    /* Many small reads of one long line end the same way (no newline ever). */
    setup(&f);
    char *endless = malloc(SIGNET_CLIENT_MAX_MESSAGE_BYTES + 4096);
    memset(endless, ' ', SIGNET_CLIENT_MAX_MESSAGE_BYTES + 4096);
    endless[0] = '{';
    const pid_t second_writer = server_write_in_child(&f, endless, SIGNET_CLIENT_MAX_MESSAGE_BYTES + 4096);
    CHECK(signet_client_read(f.client, 10000, &err) == NULL);
    CHECK_INT(err.kind, SIGNET_ERROR_PROTOCOL);
    signet_client_close(f.client);
    f.client = NULL;
    close(f.server_fd);
    f.server_fd = -1;
    waitpid(second_writer, NULL, 0);
    free(endless);
    teardown(&f);
}

static void test_eof_mid_line(void)
{
    fixture f;
    setup(&f);
    server_say(&f, "{\"id\":1,\"result\":{}}\n{\"id\":2,\"res");
    close(f.server_fd);
    f.server_fd = -1;
    signet_error err;
    json_t *first = signet_client_read(f.client, 1000, &err);
    CHECK(first != NULL); /* the whole message before the cut still arrives */
    json_decref(first);
    CHECK(signet_client_read(f.client, 1000, &err) == NULL);
    CHECK_INT(err.kind, SIGNET_ERROR_IO);
    CHECK(strstr(err.message, "middle of a message") != NULL);
    CHECK(!signet_client_is_usable(f.client));
    teardown(&f);
}

static void test_eof_between_messages(void)
{
    fixture f;
    setup(&f);
    close(f.server_fd);
    f.server_fd = -1;
    signet_error err;
    CHECK(signet_client_read(f.client, 1000, &err) == NULL);
    CHECK_INT(err.kind, SIGNET_ERROR_CLOSED);
    CHECK_INT(signet_exit_code(&err), 4);
    teardown(&f);
}

static void test_malformed_lines_are_skipped(void)
{
    fixture f;
    setup(&f);
    server_say(&f, "this is not json\n[1,2]\n{\"id\":1,\"id\":2}\n{\"id\":1,\"result\":{}}\n");
    signet_error err;
    CHECK(signet_client_read(f.client, 1000, &err) == NULL);
    CHECK_INT(err.kind, SIGNET_ERROR_PROTOCOL);
    CHECK(signet_client_is_usable(f.client));
    CHECK(signet_client_read(f.client, 1000, &err) == NULL);
    CHECK_INT(err.kind, SIGNET_ERROR_PROTOCOL);
    CHECK(signet_client_read(f.client, 1000, &err) == NULL); /* duplicate keys */
    CHECK_INT(err.kind, SIGNET_ERROR_PROTOCOL);
    json_t *message = signet_client_read(f.client, 1000, &err);
    CHECK(message != NULL);
    json_decref(message);
    teardown(&f);
}

/* ---- sending --------------------------------------------------------------------------------------- */

static void test_send_frames_requests(void)
{
    fixture f;
    setup(&f);
    signet_error err;
    json_t *params = json_pack("{s:s}", "note", "two\nlines");
    CHECK_INT(signet_client_send(f.client, "hello", NULL, &err), 1);
    CHECK_INT(signet_client_send(f.client, "status", params, &err), 2);
    CHECK_INT(params->refcount, 1); /* borrowed, not stolen */

    json_t *first = json_loads(server_read_line(&f, 1000), 0, NULL);
    CHECK(first && json_integer_value(json_object_get(first, "id")) == 1);
    CHECK_STR(json_string_value(json_object_get(first, "method")), "hello");
    CHECK(json_object_get(first, "params") == NULL);
    json_t *second = json_loads(server_read_line(&f, 1000), 0, NULL);
    CHECK(second && json_equal(json_object_get(second, "params"), params));
    json_decref(first);
    json_decref(second);
    json_decref(params);
    teardown(&f);
}

static void test_send_rejects_bad_requests(void)
{
    fixture f;
    setup(&f);
    signet_error err;
    CHECK_INT(signet_client_send(f.client, NULL, NULL, &err), -1);
    CHECK_INT(err.kind, SIGNET_ERROR_INVALID_ARGUMENT);
    json_t *array = json_array();
    CHECK_INT(signet_client_send(f.client, "status", array, &err), -1);
    CHECK_INT(err.kind, SIGNET_ERROR_INVALID_ARGUMENT);
    json_decref(array);

    char *big = malloc(SIGNET_CLIENT_MAX_REQUEST_BYTES);
    memset(big, 'x', SIGNET_CLIENT_MAX_REQUEST_BYTES - 1);
    big[SIGNET_CLIENT_MAX_REQUEST_BYTES - 1] = '\0';
    json_t *params = json_pack("{s:s}", "blob", big);
    CHECK_INT(signet_client_send(f.client, "status", params, &err), -1);
    CHECK_INT(err.kind, SIGNET_ERROR_INVALID_ARGUMENT);
    CHECK_INT(signet_exit_code(&err), 2);
    json_decref(params);
    free(big);

    CHECK(server_read_line(&f, 0) == NULL);                           /* nothing was sent */
    CHECK_INT(signet_client_send(f.client, "status", NULL, &err), 1); /* and no id was used up */
    teardown(&f);
}

static void test_send_to_closed_agent_does_not_raise_sigpipe(void)
{
    signal(SIGPIPE, SIG_DFL); /* without MSG_NOSIGNAL this test process would die here */
    fixture f;
    setup(&f);
    close(f.server_fd);
    f.server_fd = -1;
    signet_error err;
    CHECK_INT(signet_client_send(f.client, "whoami", NULL, &err), -1);
    CHECK_INT(err.kind, SIGNET_ERROR_IO);
    CHECK_INT(err.sys_errno, EPIPE);
    teardown(&f);
}

/* ---- call ------------------------------------------------------------------------------------------ */

typedef struct seen {
    int count;
    char what[8][64];
} seen;

static void remember(json_t *message, void *user_data)
{
    seen *s = user_data;
    json_int_t id = 0;
    const int has_id = signet_message_get_id(message, &id);
    const char *event = signet_message_get_event(message);
    if (s->count < 8)
        snprintf(s->what[s->count], sizeof(s->what[0]), "%s/%lld", event ? event : "response", has_id ? (long long)id : -1LL);
    ++s->count;
}

static void test_call_hands_events_over_before_the_result(void)
{
    fixture f;
    setup(&f);
    /* The agent's side of a sign-in: a subscription event, the request's progress event, an answer to
       another request, then the answer. The request will get id 1. */
    server_say(&f, "{\"event\":\"signed-out\",\"data\":{\"provider\":\"demo\",\"reason\":\"expired\"}}\n"
                   "{\"id\":1,\"event\":\"authorization-url\",\"data\":{\"provider\":\"demo\",\"url\":\"http://x/?a=1&b=2\"}}\n"
                   "{\"id\":99,\"result\":{}}\n"
                   "{\"id\":1,\"result\":{\"identity\":{\"subject\":\"alice\"}}}\n"
                   "{\"event\":\"signed-in\",\"data\":{}}\n");
    seen s = {0};
    signet_error err;
    json_t *params = json_pack("{s:s}", "provider", "demo");
    json_t *result = signet_client_call(f.client, "signin", params, 5000, remember, &s, &err);
    CHECK(result != NULL);
    CHECK_STR(json_string_value(json_object_get(json_object_get(result, "identity"), "subject")), "alice");
    CHECK_INT(s.count, 3);
    CHECK_STR(s.what[0], "signed-out/-1");
    CHECK_STR(s.what[1], "authorization-url/1");
    CHECK_STR(s.what[2], "response/99");
    json_decref(result);

    json_t *request = json_loads(server_read_line(&f, 1000), 0, NULL);
    CHECK(request != NULL);
    CHECK_INT(json_integer_value(json_object_get(request, "id")), 1);
    CHECK_STR(json_string_value(json_object_get(request, "method")), "signin");
    CHECK(json_equal(json_object_get(request, "params"), params));
    json_decref(request);
    json_decref(params);

    /* What came after the answer stays for the next read. */
    json_t *later = signet_client_read(f.client, 0, &err);
    CHECK(later && strcmp(signet_message_get_event(later), "signed-in") == 0);
    json_decref(later);
    teardown(&f);
}

static void test_call_maps_error_codes(void)
{
    static const struct {
        const char *code;
        int exit_code;
    } table[] = {
        /* docs/ipc.md, "Errors" */
        {"bad_request", 2},   {"unknown_method", 2}, {"unsupported_protocol", 1}, {"frame_too_large", 2},
        {"unknown_provider", 2}, {"not_signed_in", 3}, {"busy", 1},              {"cancelled", 1},
        {"state_expired", 6}, {"access_denied", 6},  {"provider_error", 6},       {"provider_unreachable", 6},
        {"policy_refused", 5}, {"keychain_error", 7}, {"config_error", 8},       {"internal", 1},
        {"a_code_from_the_future", 1},
    };
    fixture f;
    setup(&f);
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); ++i) {
        char response[256];
        /* Every other id written as 2.0 rather than 2: an encoder may do that. */
        snprintf(response, sizeof(response), i % 2 ? "{\"id\":%zu.0,\"error\":{\"code\":\"%s\",\"message\":\"Because %s.\"}}\n"
                                                    : "{\"id\":%zu,\"error\":{\"code\":\"%s\",\"message\":\"Because %s.\"}}\n",
                 i + 1, table[i].code, table[i].code);
        server_say(&f, response);
        signet_error err;
        CHECK(signet_client_call(f.client, "whoami", NULL, 5000, NULL, NULL, &err) == NULL);
        CHECK_INT(err.kind, SIGNET_ERROR_REMOTE);
        CHECK_STR(err.code, table[i].code);
        char message[128];
        snprintf(message, sizeof(message), "Because %s.", table[i].code);
        CHECK_STR(err.message, message);
        if (!CHECK_INT(signet_exit_code(&err), table[i].exit_code))
            fprintf(stderr, "  for %s\n", table[i].code);
        CHECK_INT(signet_exit_code_for_code(table[i].code), table[i].exit_code);
    }
    CHECK_INT(signet_exit_code_for_code(NULL), 1);

    /* An error without a code breaks the protocol; one without a message gets a sentence anyway. */
    signet_error err;
    server_say(&f, "{\"id\":18,\"error\":\"nope\"}\n");
    CHECK(signet_client_call(f.client, "whoami", NULL, 5000, NULL, NULL, &err) == NULL);
    CHECK_INT(err.kind, SIGNET_ERROR_PROTOCOL);
    server_say(&f, "{\"id\":19,\"error\":{\"code\":\"busy\"}}\n");
    CHECK(signet_client_call(f.client, "whoami", NULL, 5000, NULL, NULL, &err) == NULL);
    CHECK_INT(err.kind, SIGNET_ERROR_REMOTE);
    CHECK(strstr(err.message, "busy") != NULL);
    teardown(&f);
}

static void test_call_times_out(void)
{
    fixture f;
    setup(&f);
    server_say(&f, "{\"id\":1,\"event\":\"authorization-url\",\"data\":{}}\n");
    seen s = {0};
    signet_error err;
    const long long started = now_ms();
    CHECK(signet_client_call(f.client, "signin", NULL, 150, remember, &s, &err) == NULL);
    CHECK_INT(err.kind, SIGNET_ERROR_TIMEOUT);
    CHECK(now_ms() - started >= 140);
    CHECK_INT(s.count, 1);
    CHECK(signet_client_is_usable(f.client));
    teardown(&f);
}

/* ---- waiting --------------------------------------------------------------------------------------- */

static volatile sig_atomic_t alarms;

static void on_alarm(int signal_number)
{
    (void)signal_number;
    ++alarms;
}

static void test_signals_do_not_cut_waits_short(void)
{
    struct sigaction action = {.sa_handler = on_alarm}; /* no SA_RESTART: poll() sees EINTR */
    sigaction(SIGALRM, &action, NULL);
    struct itimerval every_10ms = {.it_interval = {0, 10000}, .it_value = {0, 10000}};
    setitimer(ITIMER_REAL, &every_10ms, NULL);

    fixture f;
    setup(&f);
    signet_error err;
    const long long started = now_ms();
    CHECK(signet_client_read(f.client, 200, &err) == NULL);
    CHECK_INT(err.kind, SIGNET_ERROR_TIMEOUT);
    CHECK(now_ms() - started >= 190);
    CHECK(alarms > 3);

    /* A message that arrives between interruptions is still read. */
    const pid_t writer = fork();
    if (writer == 0) {
        struct timespec pause = {0, 100 * 1000000};
        nanosleep(&pause, NULL);
        server_say(&f, "{\"id\":1,\"result\":{}}\n");
        _exit(0);
    }
    json_t *message = signet_client_read(f.client, 5000, &err);
    CHECK(message != NULL);
    json_decref(message);
    waitpid(writer, NULL, 0);

    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_DFL);
    teardown(&f);
}

static void test_interrupt_fd(void)
{
    fixture f;
    setup(&f);
    int wake[2];
    CHECK(pipe(wake) == 0);
    signet_client_set_interrupt_fd(f.client, wake[0]);
    signet_error err;
    CHECK(signet_client_read(f.client, 0, &err) == NULL);
    CHECK_INT(err.kind, SIGNET_ERROR_TIMEOUT);
    CHECK(write(wake[1], "x", 1) == 1);
    const long long started = now_ms();
    CHECK(signet_client_call(f.client, "signin", NULL, -1, NULL, NULL, &err) == NULL);
    CHECK_INT(err.kind, SIGNET_ERROR_INTERRUPTED);
    CHECK(now_ms() - started < 1000);
    CHECK(signet_client_is_usable(f.client));

    signet_client_set_interrupt_fd(f.client, -1);
    server_say(&f, "{\"id\":1,\"result\":{}}\n");
    json_t *message = signet_client_read(f.client, 1000, &err);
    CHECK(message != NULL);
    json_decref(message);
    close(wake[0]);
    close(wake[1]);
    teardown(&f);
}

/* ---- helpers --------------------------------------------------------------------------------------- */

static void test_message_helpers(void)
{
    json_t *event = json_loads("{\"id\":3,\"event\":\"authorization-url\",\"data\":{}}", 0, NULL);
    json_t *subscription = json_loads("{\"event\":\"signed-in\",\"data\":{}}", 0, NULL);
    json_t *result = json_loads("{\"id\":\"s\",\"result\":{}}", 0, NULL);
    json_t *error = json_loads("{\"id\":null,\"error\":{\"code\":\"bad_request\"}}", 0, NULL);
    json_t *other = json_loads("{\"id\":2.5,\"hello\":1}", 0, NULL);
    CHECK_INT(signet_message_get_kind(event), SIGNET_MESSAGE_EVENT);
    CHECK_INT(signet_message_get_kind(subscription), SIGNET_MESSAGE_EVENT);
    CHECK_INT(signet_message_get_kind(result), SIGNET_MESSAGE_RESPONSE);
    CHECK_INT(signet_message_get_kind(error), SIGNET_MESSAGE_RESPONSE);
    CHECK_INT(signet_message_get_kind(other), SIGNET_MESSAGE_UNKNOWN);
    CHECK_INT(signet_message_get_kind(NULL), SIGNET_MESSAGE_UNKNOWN);
    json_int_t id = 0;
    CHECK(signet_message_get_id(event, &id) && id == 3);
    CHECK(!signet_message_get_id(subscription, &id));
    CHECK(!signet_message_get_id(result, &id));
    CHECK(!signet_message_get_id(error, &id));
    CHECK(!signet_message_get_id(other, &id));
    CHECK_STR(signet_message_get_event(event), "authorization-url");
    CHECK(signet_message_get_event(result) == NULL);
    signet_error err;
    signet_error_clear(&err);
    CHECK(!signet_message_get_error(result, &err));
    CHECK_INT(err.kind, SIGNET_ERROR_NONE);
    CHECK(signet_message_get_error(error, &err));
    CHECK_STR(err.code, "bad_request");
    json_decref(event);
    json_decref(subscription);
    json_decref(result);
    json_decref(error);
    json_decref(other);
}

static void test_exit_codes_for_local_failures(void)
{
    static const struct {
        signet_error_kind kind;
        int exit_code;
    } table[] = {
        {SIGNET_ERROR_NONE, 0},      {SIGNET_ERROR_AGENT_NOT_RUNNING, 4}, {SIGNET_ERROR_CONNECT, 1},
        {SIGNET_ERROR_IO, 1},        {SIGNET_ERROR_CLOSED, 4},            {SIGNET_ERROR_PROTOCOL, 1},
        {SIGNET_ERROR_TIMEOUT, 1},   {SIGNET_ERROR_INTERRUPTED, 1},       {SIGNET_ERROR_INVALID_ARGUMENT, 2},
        {SIGNET_ERROR_NO_MEMORY, 1},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); ++i) {
        signet_error err;
        signet_error_clear(&err);
        err.kind = table[i].kind;
        CHECK_INT(signet_exit_code(&err), table[i].exit_code);
        CHECK(strcmp(signet_error_kind_name(table[i].kind), "unknown") != 0);
    }
    CHECK_INT(signet_exit_code(NULL), 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *tmp = getenv("TMPDIR");
    snprintf(base_dir, sizeof(base_dir), "%s/tst-signet-client-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(base_dir)) {
        perror("mkdtemp");
        return 2;
    }

    RUN(test_default_socket_path);
    RUN(test_missing_runtime_dir);
    RUN(test_no_socket);
    RUN(test_connection_refused);
    RUN(test_listener_of_another_user);
    RUN(test_explicit_path_and_cloexec);
    RUN(test_message_split_byte_by_byte);
    RUN(test_two_messages_in_one_write);
    RUN(test_line_at_the_cap);
    RUN(test_line_over_the_cap);
    RUN(test_eof_mid_line);
    RUN(test_eof_between_messages);
    RUN(test_malformed_lines_are_skipped);
    RUN(test_send_frames_requests);
    RUN(test_send_rejects_bad_requests);
    RUN(test_send_to_closed_agent_does_not_raise_sigpipe);
    RUN(test_call_hands_events_over_before_the_result);
    RUN(test_call_maps_error_codes);
    RUN(test_call_times_out);
    RUN(test_signals_do_not_cut_waits_short);
    RUN(test_interrupt_fd);
    RUN(test_message_helpers);
    RUN(test_exit_codes_for_local_failures);

    nftw(base_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    printf("%d passed, %d failed\n", passed_count, failed_count);
    return failed_count == 0 ? 0 : 1;
}
