/*
 * signet-client: a small C client for the Signet agent's IPC protocol (docs/ipc.md).
 *
 * No Qt, no C++: POSIX sockets and jansson. One signet_client is one connection; use it from one thread at
 * a time. The library has no global state and never prints anything; every failure is reported through a
 * signet_error (which may be NULL when the caller does not care).
 *
 * JSON ownership, once for all functions below:
 *   - "borrowed" arguments are not modified and not kept; the caller still owns them;
 *   - "new reference" return values belong to the caller, who releases them with json_decref();
 *   - messages handed to a signet_message_fn are borrowed for the duration of the callback only
 *     (json_incref() them to keep them).
 *
 * A typical call:
 *
 *     signet_error err;
 *     signet_client *client = signet_client_connect(NULL, &err);
 *     json_t *result = client ? signet_client_call(client, "whoami", NULL, 10000, NULL, NULL, &err) : NULL;
 *     if (!result) {
 *         fprintf(stderr, "%s\n", err.message);
 *         exit(signet_exit_code(&err));
 *     }
 *     ...
 *     json_decref(result);
 *     signet_client_close(client);
 */
#ifndef SIGNET_CLIENT_H
#define SIGNET_CLIENT_H

#include <stddef.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SIGNET_CLIENT_BUILDING) && defined(__GNUC__)
#define SIGNET_CLIENT_API __attribute__((visibility("default")))
#else
#define SIGNET_CLIENT_API
#endif

/* The protocol version this library speaks (the `protocol` member of `hello`). */
#define SIGNET_CLIENT_PROTOCOL_VERSION 1

/* Frame caps from docs/ipc.md, newline included. */
#define SIGNET_CLIENT_MAX_REQUEST_BYTES (64 * 1024)       /* client -> agent */
#define SIGNET_CLIENT_MAX_MESSAGE_BYTES (1024 * 1024)     /* agent -> client */

/* Room for any UNIX socket path, terminating NUL included (sizeof(struct sockaddr_un.sun_path)). */
#define SIGNET_CLIENT_SOCKET_PATH_MAX 108

/* What went wrong. Programs branch on the kind (and, for SIGNET_ERROR_REMOTE, on `code`), never on text. */
typedef enum signet_error_kind {
    SIGNET_ERROR_NONE = 0,
    /* The agent cannot be reached: XDG_RUNTIME_DIR is not set (sys_errno 0), there is no socket
       (ENOENT, ENOTDIR) or nobody listens on it (ECONNREFUSED). */
    SIGNET_ERROR_AGENT_NOT_RUNNING,
    /* Any other failure to connect: permission denied, a path too long for a UNIX socket, ... */
    SIGNET_ERROR_CONNECT,
    /* Reading or writing failed, or the agent closed the connection in the middle of a message. */
    SIGNET_ERROR_IO,
    /* The agent closed the connection between two messages (it stopped, or crashed). */
    SIGNET_ERROR_CLOSED,
    /* The agent sent something that breaks the protocol: not JSON, not an object, a message over
       SIGNET_CLIENT_MAX_MESSAGE_BYTES, a response with neither `result` nor `error`. */
    SIGNET_ERROR_PROTOCOL,
    /* The agent answered the request with an error; `code` and `message` hold what it said. */
    SIGNET_ERROR_REMOTE,
    /* No answer within the timeout. The connection stays usable. */
    SIGNET_ERROR_TIMEOUT,
    /* The interrupt fd (signet_client_set_interrupt_fd) became readable. The connection stays usable. */
    SIGNET_ERROR_INTERRUPTED,
    /* The caller passed something unusable (NULL method, params not an object, a request over
       SIGNET_CLIENT_MAX_REQUEST_BYTES, a buffer too small). Nothing was sent. */
    SIGNET_ERROR_INVALID_ARGUMENT,
    SIGNET_ERROR_NO_MEMORY
} signet_error_kind;

typedef struct signet_error {
    signet_error_kind kind;
    /* errno of the failing system call, or 0. */
    int sys_errno;
    /* SIGNET_ERROR_REMOTE: the agent's `error.code` (e.g. "not_signed_in"); otherwise empty. */
    char code[64];
    /* A sentence for people. SIGNET_ERROR_REMOTE: the agent's `error.message`. Truncated if longer. */
    char message[1024];
} signet_error;

/* Exit codes of signetctl, shared by every C client (docs/cli.md, docs/ipc.md). */
enum {
    SIGNET_EXIT_OK = 0,
    SIGNET_EXIT_FAILURE = 1,
    SIGNET_EXIT_USAGE = 2,
    SIGNET_EXIT_NOT_SIGNED_IN = 3,
    SIGNET_EXIT_AGENT_NOT_RUNNING = 4,
    SIGNET_EXIT_POLICY_REFUSED = 5,
    SIGNET_EXIT_PROVIDER_ERROR = 6,
    SIGNET_EXIT_KEYCHAIN_ERROR = 7,
    SIGNET_EXIT_CONFIG_ERROR = 8
};

typedef enum signet_message_kind {
    SIGNET_MESSAGE_UNKNOWN = 0, /* neither an event nor a response: ignore it */
    SIGNET_MESSAGE_RESPONSE,    /* has `result` or `error` (and no `event`) */
    SIGNET_MESSAGE_EVENT        /* has `event` */
} signet_message_kind;

typedef struct signet_client signet_client;

/* Called by signet_client_call() for every message read while waiting that is not the awaited response:
   the request's own progress events, subscription events, responses to other (pipelined) requests.
   `message` is borrowed. */
typedef void (*signet_message_fn)(json_t *message, void *user_data);

/* ---- errors -------------------------------------------------------------------------------------- */

/* Resets `err` to SIGNET_ERROR_NONE with empty strings. NULL is ignored. */
SIGNET_CLIENT_API void signet_error_clear(signet_error *err);

/* A stable lower-case name for a kind ("agent-not-running", "remote", ...), for logs. Never NULL. */
SIGNET_CLIENT_API const char *signet_error_kind_name(signet_error_kind kind);

/* The signetctl exit code for an agent error code ("not_signed_in" -> 3, see docs/ipc.md). Unknown codes
   and NULL give SIGNET_EXIT_FAILURE. */
SIGNET_CLIENT_API int signet_exit_code_for_code(const char *code);

/* The signetctl exit code for any failure: remote errors by their code, an unreachable agent (or one that
   went away) -> 4, invalid arguments -> 2, everything else -> 1. NULL or SIGNET_ERROR_NONE gives 0. */
SIGNET_CLIENT_API int signet_exit_code(const signet_error *err);

/* ---- connecting ---------------------------------------------------------------------------------- */

/* Writes "$XDG_RUNTIME_DIR/signet/agent.sock" into `buffer` (`size` bytes, SIGNET_CLIENT_SOCKET_PATH_MAX is
   always enough). Does not guess: if XDG_RUNTIME_DIR is unset, empty or relative, fails with
   SIGNET_ERROR_AGENT_NOT_RUNNING and a message saying to set it. Returns 0, or -1 and fills `err`. */
SIGNET_CLIENT_API int signet_default_socket_path(char *buffer, size_t size, signet_error *err);

/* Connects to the agent at `socket_path` (borrowed), or at the default path when it is NULL. The socket is
   close-on-exec. A socket whose listener runs as another user is refused (SIGNET_ERROR_CONNECT, EACCES).
   Returns a new client to release with signet_client_close(), or NULL and fills `err`. */
SIGNET_CLIENT_API signet_client *signet_client_connect(const char *socket_path, signet_error *err);

/* Closes the connection and frees the client. NULL is ignored. */
SIGNET_CLIENT_API void signet_client_close(signet_client *client);

/* The connected socket, e.g. to poll() it in the caller's own loop. Still owned by the client: do not read
   from or close it. Messages may already be buffered: signet_client_read(client, 0, ...) drains them
   without blocking. */
SIGNET_CLIENT_API int signet_client_fd(const signet_client *client);

/* 1 while the connection can still be used; 0 after an I/O error, the agent closing it, or an oversized
   message (then every call fails with that error again). NULL gives 0. */
SIGNET_CLIENT_API int signet_client_is_usable(const signet_client *client);

/* While `fd` is readable (e.g. the read end of a self-pipe a signal handler writes to), reads and calls
   fail with SIGNET_ERROR_INTERRUPTED instead of waiting. The fd is borrowed and never read: drain it
   yourself. -1 (the default) turns this off. */
SIGNET_CLIENT_API void signet_client_set_interrupt_fd(signet_client *client, int fd);

/* ---- messages ------------------------------------------------------------------------------------ */

/* Sends {"id": <id>, "method": method, "params": params}. `method` and `params` are borrowed; `params` must
   be an object or NULL (then omitted). Ids are integers starting at 1, increasing by one per request on
   this client. Returns the id used (> 0), or -1 and fills `err`. */
SIGNET_CLIENT_API json_int_t signet_client_send(signet_client *client, const char *method, json_t *params, signet_error *err);

/* Reads the next message (any JSON object: response, event, or something newer this library does not know;
   empty lines are skipped). Waits at most `timeout_ms` milliseconds (-1: forever, 0: only what is already
   there); signals (EINTR) do not shorten the wait. Returns a new reference, or NULL and fills `err`.
   After SIGNET_ERROR_IO, SIGNET_ERROR_CLOSED or an oversized message the connection is unusable and every
   later call fails the same way; a single malformed line is skipped and the next read goes on. */
SIGNET_CLIENT_API json_t *signet_client_read(signet_client *client, int timeout_ms, signet_error *err);

/* Sends a request and reads until its response, within `timeout_ms` in all (-1: forever). Every other
   message read meanwhile goes to `on_message` (may be NULL), in the order it arrived, before this returns.
   Returns a new reference to the response's `result`, or NULL and fills `err` (SIGNET_ERROR_REMOTE when the
   agent answered with an error). `method` and `params` are borrowed, as for signet_client_send().
   Every method of docs/ipc.md goes through here: hello, status, providers, whoami, token, signin, cancel,
   signout, subscribe, avatar, apps, consent (the Signet window only), reset. `token` may wait up to two
   minutes while the window asks the person (give it at least 150000 ms). */
SIGNET_CLIENT_API json_t *signet_client_call(signet_client *client, const char *method, json_t *params, int timeout_ms,
                                             signet_message_fn on_message, void *user_data, signet_error *err);

/* Tells events from responses by their members (docs/ipc.md). `message` is borrowed; NULL gives UNKNOWN. */
SIGNET_CLIENT_API signet_message_kind signet_message_get_kind(const json_t *message);

/* The integer `id` of a message. Returns 1 and stores it in `*id` (may be NULL), or 0 when the message has
   no integer id (subscription events, `"id": null`, string ids). `message` is borrowed. */
SIGNET_CLIENT_API int signet_message_get_id(const json_t *message, json_int_t *id);

/* The `event` name of an event, or NULL. Borrowed from `message`: valid while the message lives. */
SIGNET_CLIENT_API const char *signet_message_get_event(const json_t *message);

/* For a response carrying `error`: fills `err` as SIGNET_ERROR_REMOTE and returns 1. A malformed `error`
   gives SIGNET_ERROR_PROTOCOL, also returning 1. Returns 0 (err untouched) when there is no `error`. */
SIGNET_CLIENT_API int signet_message_get_error(const json_t *message, signet_error *err);

#ifdef __cplusplus
}
#endif

#endif /* SIGNET_CLIENT_H */
