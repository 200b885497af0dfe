/*
 * signet-fake-agent: runs one command (signetctl) against a canned agent and checks what it did.
 *
 *   signet-fake-agent [agent options] [expectations] -- COMMAND [ARGUMENT...]
 *
 * It makes a temporary XDG_RUNTIME_DIR, listens on <it>/signet/agent.sock, starts COMMAND with that
 * environment, answers its requests with canned responses, captures its stdout and stderr, and exits 0 when
 * every expectation holds (1 otherwise, printing why and what the command wrote). It speaks the protocol
 * with jansson directly, not through signet-client, so the library is not tested against itself.
 *
 * Agent options:
 *   --state signed-in|signed-out   the session at start (default signed-out)
 *   --email-unverified             the identity's email_verified is false
 *   --signin-result ok|hang|CODE   how a signin ends (default ok; hang: never, until cancelled)
 *   --error METHOD=CODE            answer METHOD with the error CODE
 *   --no-agent                     no socket at all (the runtime dir exists)
 *   --no-runtime-dir               XDG_RUNTIME_DIR is unset for the command
 *   --env NAME=VALUE               set a variable for the command (BROWSER defaults to "true")
 *   --subscribe-stays              after `subscribe` and its events, stay (default: the agent stops)
 *   --interrupt-after-stdout[=N]   send SIGINT to the command once it wrote a line (N lines) to stdout
 * Expectations:
 *   --expect-exit N
 *   --expect-stdout-line TEXT      repeatable: stdout is exactly these lines
 *   --expect-no-stdout
 *   --expect-stdout-contains TEXT, --expect-stderr-contains TEXT, --expect-stderr-lacks TEXT
 *   --expect-request METHOD        the command sent this method
 *   --expect-no-request METHOD
 *   --expect-browser-arg ARG       repeatable: the browser stand-in (record-browser.sh) got exactly these
 *                                  arguments
 *   --expect-no-browser            the browser stand-in was not started
 * In every argument and expectation, @SOCKET@ stands for the socket path, @URL@ for the authorization URL
 * and @IDENTITY@ for the identity (provider "demo") as compact JSON.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

/* '&' and ';' and "$IFS" prove that no shell ever sees the URL. */
#define SIGNIN_URL "http://127.0.0.1:4000/authorize?response_type=code&client_id=signet&state=x;echo$IFS-pwned&scope=openid"
#define MAX_LIST 32
#define MAX_CONNECTIONS 16
#define TIME_LIMIT_MS 30000

static struct {
    int signed_in;
    int email_unverified;
    const char *signin_result;
    const char *errors[MAX_LIST]; /* METHOD=CODE */
    int error_count;
    int no_agent;
    int no_runtime_dir;
    const char *env[MAX_LIST];
    int env_count;
    int interrupt_after_stdout;
    int subscribe_stays;

    int expect_exit;
    const char *stdout_lines[MAX_LIST];
    int stdout_line_count;
    int expect_no_stdout;
    const char *stdout_contains[MAX_LIST];
    int stdout_contains_count;
    const char *stderr_contains[MAX_LIST];
    int stderr_contains_count;
    const char *stderr_lacks[MAX_LIST];
    int stderr_lacks_count;
    const char *requests[MAX_LIST];
    int request_count;
    const char *no_requests[MAX_LIST];
    int no_request_count;
    int expect_no_browser;
    const char *browser_args[MAX_LIST];
    int browser_arg_count;
} opt = {.signin_result = "ok", .expect_exit = -1};

typedef struct buffer {
    char *data;
    size_t length;
} buffer;

static void append(buffer *b, const char *data, size_t size)
{
    b->data = realloc(b->data, b->length + size + 1);
    memcpy(b->data + b->length, data, size);
    b->length += size;
    b->data[b->length] = '\0';
}

typedef struct connection {
    int fd;
    buffer in;
    json_t *pending_signin; /* id of a hanging signin */
} connection;

static connection connections[MAX_CONNECTIONS];
static int listen_fd = -1;
static char base_dir[1024], runtime_dir[2048], socket_path[PATH_MAX], browser_log[2048];
static char received[4096] = " "; /* methods received, each followed by a space */
static int failures;

static void failure(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("FAIL: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    ++failures;
}

static long long now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* ---- canned data ----------------------------------------------------------------------------------- */

static json_t *identity(const char *provider)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:n, s:s, s:s, s:i}", "provider", provider, "issuer",
                     "http://127.0.0.1:4000", "subject", "alice", "email", "alice@example.com", "email_verified",
                     !opt.email_unverified, "name", "Alice Example", "picture", "signed_in_at", "2026-11-22T09:00:00Z",
                     "expires_at", "2026-11-22T10:00:00Z", "expires_in", 3600);
}

static char *identity_text(void)
{
    json_t *value = identity("demo");
    char *text = json_dumps(value, JSON_COMPACT);
    json_decref(value);
    return text;
}

static json_t *providers(void)
{
    return json_pack("{s:[{s:s, s:s, s:s, s:s, s:b, s:n}, {s:s, s:s, s:s, s:n, s:b, s:s}]}", "providers", "id", "demo",
                     "type", "oidc", "display_name", "Demo identity provider", "issuer", "http://127.0.0.1:4000",
                     "available", 1, "problem", "id", "broken", "type", "oidc", "display_name", "Broken provider",
                     "issuer", "available", 0, "problem",
                     "/etc/signet/signet.conf: [provider broken] client_id: the key is missing.");
}

static json_t *status(void)
{
    if (opt.signed_in)
        return json_pack("{s:s, s:s, s:s, s:i, s:n, s:{s:b, s:[{s:s, s:s, s:s, s:s, s:s}]}}", "state", "signed_in",
                         "provider", "demo", "expires_at", "2026-11-22T10:00:00Z", "expires_in", 3542, "signin",
                         "config", "ok", 1, "problems", "severity", "warning", "file", "/etc/signet/signet.conf",
                         "group", "provider broken", "key", "client_id", "message", "the key is missing.");
    return json_pack("{s:s, s:n, s:n, s:n, s:{s:s, s:s, s:i}, s:{s:b, s:[]}}", "state", "signing_in", "provider",
                     "expires_at", "expires_in", "signin", "provider", "demo", "url", SIGNIN_URL, "expires_in", 580,
                     "config", "ok", 1, "problems");
}

/* ---- the agent ------------------------------------------------------------------------------------- */

static void send_message(connection *c, json_t *message)
{
    char *text = json_dumps(message, JSON_COMPACT);
    json_decref(message);
    size_t size = strlen(text);
    text[size] = '\n'; /* over the NUL; `text` is not a string any more */
    for (size_t done = 0; done < size + 1;) {
        const ssize_t written = send(c->fd, text + done, size + 1 - done, MSG_NOSIGNAL);
        if (written < 0 && errno == EINTR)
            continue;
        if (written < 0)
            break;
        done += (size_t)written;
    }
    free(text);
}

static void send_result(connection *c, json_t *id, json_t *result)
{
    send_message(c, json_pack("{s:O, s:o}", "id", id ? id : json_null(), "result", result));
}

static void send_error(connection *c, json_t *id, const char *code, const char *message)
{
    send_message(c, json_pack("{s:O, s:{s:s, s:s}}", "id", id ? id : json_null(), "error", "code", code, "message", message));
}

static void close_connection(connection *c)
{
    close(c->fd);
    c->fd = -1;
    free(c->in.data);
    c->in.data = NULL;
    c->in.length = 0;
    json_decref(c->pending_signin);
    c->pending_signin = NULL;
}

/* The agent goes away: every connection and the socket. */
static void stop_agent(void)
{
    for (int i = 0; i < MAX_CONNECTIONS; ++i) {
        if (connections[i].fd >= 0)
            close_connection(&connections[i]);
    }
    if (listen_fd >= 0) {
        close(listen_fd);
        listen_fd = -1;
        unlink(socket_path);
    }
}

static const char *configured_error(const char *method)
{
    const size_t length = strlen(method);
    for (int i = 0; i < opt.error_count; ++i) {
        if (strncmp(opt.errors[i], method, length) == 0 && opt.errors[i][length] == '=')
            return opt.errors[i] + length + 1;
    }
    return NULL;
}

static void handle(connection *c, const char *line, size_t size)
{
    json_t *request = json_loadb(line, size, 0, NULL);
    if (!json_is_object(request)) {
        send_error(c, NULL, "bad_request", "The message is not a JSON object.");
        json_decref(request);
        return;
    }
    json_t *id = json_object_get(request, "id");
    const char *method = json_string_value(json_object_get(request, "method"));
    if (!method || !(json_is_integer(id) || json_is_string(id))) {
        send_error(c, NULL, "bad_request", "The request has no method or no id.");
        json_decref(request);
        return;
    }
    if (strlen(received) + strlen(method) + 2 < sizeof(received)) {
        strcat(received, method);
        strcat(received, " ");
    }

    const char *error = configured_error(method);
    char message[256];
    if (error) {
        snprintf(message, sizeof(message), "The fake agent fails '%s' with %s.", method, error);
        send_error(c, id, error, message);
    } else if (strcmp(method, "hello") == 0) {
        send_result(c, id, json_pack("{s:i, s:s, s:s, s:[]}", "protocol", 1, "agent", "signet-agent", "version", "0.0.0-fake", "capabilities"));
    } else if (strcmp(method, "status") == 0) {
        send_result(c, id, status());
    } else if (strcmp(method, "providers") == 0) {
        send_result(c, id, providers());
    } else if (strcmp(method, "whoami") == 0) {
        if (opt.signed_in)
            send_result(c, id, json_pack("{s:o}", "identity", identity("demo")));
        else
            send_error(c, id, "not_signed_in", "Nobody is signed in. Sign in with 'signetctl signin <provider>' or the Signet window.");
    } else if (strcmp(method, "signout") == 0) {
        if (opt.signed_in)
            send_result(c, id, json_pack("{s:b}", "signed_out", 1));
        else
            send_error(c, id, "not_signed_in", "Nobody is signed in.");
        opt.signed_in = 0;
    } else if (strcmp(method, "signin") == 0) {
        const char *provider = json_string_value(json_object_get(json_object_get(request, "params"), "provider"));
        if (!provider) {
            send_error(c, id, "bad_request", "'signin' needs the parameter 'provider'.");
        } else if (strcmp(provider, "nope") == 0) {
            send_error(c, id, "unknown_provider", "No provider 'nope' is configured. Configured providers: demo, broken.");
        } else {
            send_message(c, json_pack("{s:O, s:s, s:{s:s, s:s, s:i}}", "id", id, "event", "authorization-url", "data",
                                      "provider", provider, "url", SIGNIN_URL, "expires_in", 600));
            if (strcmp(opt.signin_result, "ok") == 0) {
                opt.signed_in = 1;
                send_result(c, id, json_pack("{s:o}", "identity", identity(provider)));
            } else if (strcmp(opt.signin_result, "hang") == 0) {
                json_decref(c->pending_signin);
                c->pending_signin = json_incref(id);
            } else {
                snprintf(message, sizeof(message), "The fake provider failed with %s.", opt.signin_result);
                send_error(c, id, opt.signin_result, message);
            }
        }
    } else if (strcmp(method, "cancel") == 0) {
        int running = 0;
        for (int i = 0; i < MAX_CONNECTIONS; ++i) {
            connection *other = &connections[i];
            if (other->fd >= 0 && other->pending_signin) {
                send_error(other, other->pending_signin, "cancelled", "The sign-in was cancelled.");
                json_decref(other->pending_signin);
                other->pending_signin = NULL;
                running = 1;
            }
        }
        send_result(c, id, json_pack("{s:b}", "cancelled", running));
    } else if (strcmp(method, "subscribe") == 0) {
        /* Two events (and one this version of signetctl does not know), then the agent stops, unless
           --subscribe-stays: `watch` must print them and end. */
        send_result(c, id, json_pack("{s:[s,s]}", "events", "signed-in", "signed-out"));
        send_message(c, json_pack("{s:s, s:{s:o}}", "event", "signed-in", "data", "identity", identity("demo")));
        send_message(c, json_pack("{s:s, s:{s:s, s:s}}", "event", "signed-out", "data", "provider", "demo", "reason", "user"));
        if (!opt.subscribe_stays) {
            json_decref(request);
            stop_agent();
            return;
        }
        send_message(c, json_pack("{s:s, s:{s:s}}", "event", "from-the-future", "data", "what", "new\x1b" "c"));
    } else {
        snprintf(message, sizeof(message), "Unknown method '%.64s'.", method);
        send_error(c, id, "unknown_method", message);
    }
    json_decref(request);
}

static void on_readable(connection *c)
{
    char chunk[65536];
    const ssize_t got = recv(c->fd, chunk, sizeof(chunk), 0);
    if (got <= 0) {
        if (got < 0 && errno == EINTR)
            return;
        close_connection(c);
        return;
    }
    append(&c->in, chunk, (size_t)got);
    char *newline;
    while (c->fd >= 0 && c->in.data && (newline = memchr(c->in.data, '\n', c->in.length)) != NULL) {
        const size_t size = (size_t)(newline - c->in.data);
        char *line = strndup(c->in.data, size);
        memmove(c->in.data, newline + 1, c->in.length - size - 1);
        c->in.length -= size + 1;
        if (size > 0)
            handle(c, line, size);
        free(line);
    }
}

/* ---- running the command --------------------------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Replaces @URL@, @IDENTITY@ and @SOCKET@ anywhere in `text`. Free the result. */
static char *substitute(const char *text)
{
    static char *identity_json;
    if (!identity_json)
        identity_json = identity_text();
    const struct {
        const char *token;
        const char *value;
    } tokens[] = {{"@URL@", SIGNIN_URL}, {"@IDENTITY@", identity_json}, {"@SOCKET@", socket_path}};
    buffer result = {0};
    append(&result, "", 0);
    for (const char *p = text; *p;) {
        size_t i = 0;
        for (; i < sizeof(tokens) / sizeof(tokens[0]); ++i) {
            if (strncmp(p, tokens[i].token, strlen(tokens[i].token)) == 0) {
                append(&result, tokens[i].value, strlen(tokens[i].value));
                p += strlen(tokens[i].token);
                break;
            }
        }
        if (i == sizeof(tokens) / sizeof(tokens[0]))
            append(&result, p++, 1);
    }
    return result.data;
}

static void usage(void)
{
    fputs("usage: signet-fake-agent [options] -- COMMAND [ARGUMENT...] (see the comment in fake-agent.c)\n", stderr);
    exit(2);
}

#define ADD(list, count, value)                                                                                   \
    do {                                                                                                          \
        if ((count) >= MAX_LIST)                                                                                  \
            usage();                                                                                              \
        (list)[(count)++] = (value);                                                                              \
    } while (0)

static int parse_options(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            return i + 1;
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        int takes_value = 1;
        if (strcmp(a, "--state") == 0 && value)
            opt.signed_in = strcmp(value, "signed-in") == 0;
        else if (strcmp(a, "--signin-result") == 0 && value)
            opt.signin_result = value;
        else if (strcmp(a, "--error") == 0 && value)
            ADD(opt.errors, opt.error_count, value);
        else if (strcmp(a, "--env") == 0 && value)
            ADD(opt.env, opt.env_count, value);
        else if (strcmp(a, "--expect-exit") == 0 && value)
            opt.expect_exit = atoi(value);
        else if (strcmp(a, "--expect-stdout-line") == 0 && value)
            ADD(opt.stdout_lines, opt.stdout_line_count, value);
        else if (strcmp(a, "--expect-stdout-contains") == 0 && value)
            ADD(opt.stdout_contains, opt.stdout_contains_count, value);
        else if (strcmp(a, "--expect-stderr-contains") == 0 && value)
            ADD(opt.stderr_contains, opt.stderr_contains_count, value);
        else if (strcmp(a, "--expect-stderr-lacks") == 0 && value)
            ADD(opt.stderr_lacks, opt.stderr_lacks_count, value);
        else if (strcmp(a, "--expect-request") == 0 && value)
            ADD(opt.requests, opt.request_count, value);
        else if (strcmp(a, "--expect-no-request") == 0 && value)
            ADD(opt.no_requests, opt.no_request_count, value);
        else if (strcmp(a, "--expect-browser-arg") == 0 && value)
            ADD(opt.browser_args, opt.browser_arg_count, value);
        else {
            takes_value = 0;
            if (strcmp(a, "--email-unverified") == 0)
                opt.email_unverified = 1;
            else if (strcmp(a, "--no-agent") == 0)
                opt.no_agent = 1;
            else if (strcmp(a, "--no-runtime-dir") == 0)
                opt.no_runtime_dir = 1;
            else if (strcmp(a, "--subscribe-stays") == 0)
                opt.subscribe_stays = 1;
            else if (strcmp(a, "--interrupt-after-stdout") == 0)
                opt.interrupt_after_stdout = 1;
            else if (strncmp(a, "--interrupt-after-stdout=", 25) == 0)
                opt.interrupt_after_stdout = atoi(a + 25);
            else if (strcmp(a, "--expect-no-stdout") == 0)
                opt.expect_no_stdout = 1;
            else if (strcmp(a, "--expect-no-browser") == 0)
                opt.expect_no_browser = 1;
            else {
                fprintf(stderr, "signet-fake-agent: unknown option or missing value: %s\n", a);
                usage();
            }
        }
        i += takes_value;
    }
    usage();
    return 0;
}

static void setup_agent(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(base_dir, sizeof(base_dir), "%s/signet-fake-agent-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(base_dir)) {
        perror("mkdtemp");
        exit(2);
    }
    snprintf(runtime_dir, sizeof(runtime_dir), "%s/run", base_dir);
    snprintf(browser_log, sizeof(browser_log), "%s/browser.log", base_dir);
    char signet_dir[PATH_MAX];
    snprintf(signet_dir, sizeof(signet_dir), "%s/signet", runtime_dir);
    if (snprintf(socket_path, sizeof(socket_path), "%s/agent.sock", signet_dir) >= (int)sizeof(socket_path))
        exit(2);
    if (mkdir(runtime_dir, 0700) < 0 || mkdir(signet_dir, 0700) < 0) {
        perror("mkdir");
        exit(2);
    }
    for (int i = 0; i < MAX_CONNECTIONS; ++i)
        connections[i].fd = -1;
    if (opt.no_agent)
        return;
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof(address.sun_path)) {
        fprintf(stderr, "signet-fake-agent: TMPDIR is too long for a socket path\n");
        exit(2);
    }
    strcpy(address.sun_path, socket_path);
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&address, sizeof(address)) < 0 || listen(listen_fd, 16) < 0) {
        perror("signet-fake-agent: listen");
        exit(2);
    }
}

static pid_t start_command(char **command, int *out_fd, int *err_fd)
{
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
        perror("pipe");
        exit(2);
    }
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        if (opt.no_runtime_dir)
            unsetenv("XDG_RUNTIME_DIR");
        else
            setenv("XDG_RUNTIME_DIR", runtime_dir, 1);
        setenv("SIGNET_TEST_BROWSER_LOG", browser_log, 1);
        setenv("BROWSER", "true", 1); /* never a real browser from a test */
        for (int i = 0; i < opt.env_count; ++i)
            putenv(substitute(opt.env[i]));
        for (char **argument = command; *argument; ++argument)
            *argument = substitute(*argument);
        signal(SIGPIPE, SIG_DFL);
        execvp(command[0], command);
        fprintf(stderr, "signet-fake-agent: cannot run %s: %s\n", command[0], strerror(errno));
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    *out_fd = out[0];
    *err_fd = err[0];
    return pid;
}

static int count_lines(const char *text)
{
    int lines = 0;
    for (; *text; ++text)
        lines += *text == '\n';
    return lines;
}

/* Serves the agent and collects the command's output until it exited and both pipes are closed. */
static int run(pid_t pid, int out_fd, int err_fd, buffer *out, buffer *err)
{
    const long long deadline = now_ms() + TIME_LIMIT_MS;
    int exit_status = -1, interrupted = 0;
    long long exited_at = -1;
    while (out_fd >= 0 || err_fd >= 0 || exit_status < 0) {
        if (now_ms() > deadline || (exited_at >= 0 && now_ms() - exited_at > 5000)) {
            failure("the command did not finish within %d s (or kept its output open)", TIME_LIMIT_MS / 1000);
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd fds[3 + MAX_CONNECTIONS];
        int count = 0;
        fds[count++] = (struct pollfd){.fd = out_fd, .events = POLLIN};
        fds[count++] = (struct pollfd){.fd = err_fd, .events = POLLIN};
        fds[count++] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
        for (int i = 0; i < MAX_CONNECTIONS; ++i)
            fds[count++] = (struct pollfd){.fd = connections[i].fd, .events = POLLIN};
        if (poll(fds, (nfds_t)count, 50) < 0 && errno != EINTR) {
            perror("poll");
            exit(2);
        }
        char chunk[65536];
        if (out_fd >= 0 && fds[0].revents) {
            const ssize_t got = read(out_fd, chunk, sizeof(chunk));
            if (got > 0) {
                append(out, chunk, (size_t)got);
            } else if (got == 0 || errno != EINTR) {
                close(out_fd);
                out_fd = -1;
            }
        }
        if (err_fd >= 0 && fds[1].revents) {
            const ssize_t got = read(err_fd, chunk, sizeof(chunk));
            if (got > 0) {
                append(err, chunk, (size_t)got);
            } else if (got == 0 || errno != EINTR) {
                close(err_fd);
                err_fd = -1;
            }
        }
        if (listen_fd >= 0 && fds[2].revents) {
            const int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
            for (int i = 0; fd >= 0 && i <= MAX_CONNECTIONS; ++i) {
                if (i == MAX_CONNECTIONS) {
                    close(fd);
                } else if (connections[i].fd < 0) {
                    connections[i].fd = fd;
                    break;
                }
            }
        }
        for (int i = 0; i < MAX_CONNECTIONS; ++i) {
            if (connections[i].fd >= 0 && fds[3 + i].fd == connections[i].fd && fds[3 + i].revents)
                on_readable(&connections[i]);
        }
        if (opt.interrupt_after_stdout && !interrupted && out->data && count_lines(out->data) >= opt.interrupt_after_stdout) {
            kill(pid, SIGINT);
            interrupted = 1;
        }
        if (exit_status < 0) {
            int wait_status;
            if (waitpid(pid, &wait_status, WNOHANG) == pid) {
                exit_status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
                exited_at = now_ms();
            }
        }
    }
    if (exit_status < 0) {
        int wait_status;
        waitpid(pid, &wait_status, 0);
    }
    return exit_status;
}

static void check_browser(void)
{
    if (opt.expect_no_browser) {
        struct timespec pause = {0, 300 * 1000000}; /* a detached browser may still be starting */
        nanosleep(&pause, NULL);
        if (access(browser_log, F_OK) == 0)
            failure("a browser was started");
    }
    if (opt.browser_arg_count == 0)
        return;
    /* The browser runs detached: it may write its log after signetctl is gone. */
    FILE *log = NULL;
    for (long long until = now_ms() + 10000; !(log = fopen(browser_log, "r")) && now_ms() < until;) {
        struct timespec pause = {0, 20 * 1000000};
        nanosleep(&pause, NULL);
    }
    if (!log) {
        failure("the browser was not started (no %s)", browser_log);
        return;
    }
    char line[8192];
    int count = -1;
    if (fgets(line, sizeof(line), log))
        count = atoi(line);
    if (count != opt.browser_arg_count)
        failure("the browser got %d arguments, expected %d", count, opt.browser_arg_count);
    for (int i = 0; i < count && i < opt.browser_arg_count && fgets(line, sizeof(line), log); ++i) {
        line[strcspn(line, "\n")] = '\0';
        char *expected = substitute(opt.browser_args[i]);
        if (strcmp(line, expected) != 0)
            failure("browser argument %d is \"%s\", expected \"%s\"", i + 1, line, expected);
        free(expected);
    }
    fclose(log);
}

int main(int argc, char **argv)
{
    const int command_index = parse_options(argc, argv);
    if (command_index >= argc)
        usage();
    signal(SIGPIPE, SIG_IGN);
    setup_agent();

    int out_fd, err_fd;
    const pid_t pid = start_command(argv + command_index, &out_fd, &err_fd);
    buffer out = {0}, err = {0};
    append(&out, "", 0);
    append(&err, "", 0);
    const int exit_status = run(pid, out_fd, err_fd, &out, &err);
    stop_agent();

    if (opt.expect_exit >= 0 && exit_status != opt.expect_exit)
        failure("exit status %d, expected %d", exit_status, opt.expect_exit);
    if (opt.stdout_line_count > 0 || opt.expect_no_stdout) {
        buffer expected = {0};
        append(&expected, "", 0);
        for (int i = 0; i < opt.stdout_line_count; ++i) {
            char *line = substitute(opt.stdout_lines[i]);
            append(&expected, line, strlen(line));
            append(&expected, "\n", 1);
            free(line);
        }
        if (strcmp(out.data, expected.data) != 0)
            failure("stdout is not exactly:\n%s", expected.data);
        free(expected.data);
    }
    for (int i = 0; i < opt.stdout_contains_count; ++i) {
        char *text = substitute(opt.stdout_contains[i]);
        if (!strstr(out.data, text))
            failure("stdout lacks \"%s\"", text);
        free(text);
    }
    for (int i = 0; i < opt.stderr_contains_count; ++i) {
        char *text = substitute(opt.stderr_contains[i]);
        if (!strstr(err.data, text))
            failure("stderr lacks \"%s\"", text);
        free(text);
    }
    for (int i = 0; i < opt.stderr_lacks_count; ++i) {
        char *text = substitute(opt.stderr_lacks[i]);
        if (strstr(err.data, text))
            failure("stderr has \"%s\"", text);
        free(text);
    }
    for (int i = 0; i < opt.request_count; ++i) {
        char word[128];
        snprintf(word, sizeof(word), " %s ", opt.requests[i]);
        if (!strstr(received, word))
            failure("the command did not send '%s' (it sent: %s)", opt.requests[i], received);
    }
    for (int i = 0; i < opt.no_request_count; ++i) {
        char word[128];
        snprintf(word, sizeof(word), " %s ", opt.no_requests[i]);
        if (strstr(received, word))
            failure("the command sent '%s'", opt.no_requests[i]);
    }
    check_browser();

    if (failures > 0) {
        fprintf(stderr, "--- command: exit %d, requests: %s\n--- stdout:\n%s--- stderr:\n%s---\n", exit_status, received,
                out.data, err.data);
    } else {
        printf("ok: exit %d, requests: %s\n", exit_status, received);
    }
    nftw(base_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(out.data);
    free(err.data);
    return failures > 0 ? 1 : 0;
}
