/*
 * signetctl: the Signet command line (docs/cli.md).
 *
 * Scripts call it in loops, so it stays a small C program: libc, jansson and signet-client, nothing else.
 * Results go to stdout, everything else (errors, hints, the browser's own output) to stderr.
 */
#define _GNU_SOURCE /* pipe2, O_CLOEXEC */

#include "signet-client.h"
#include "signet-version.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Local requests answer at once; this only keeps a hung agent from hanging a script for ever. */
#define QUICK_TIMEOUT_MS 30000
#define CONSENT_TIMEOUT_MS 150000
#define CANCEL_TIMEOUT_MS 5000

typedef struct context {
    int json;
    int no_browser;
    int device;
    const char **scopes; /* --scope, for token */
    int scope_count;
    long min_valid; /* --min-valid, for token; -1: the agent's default */
    const char *revoke; /* --revoke, for apps */
    int yes;            /* --yes, for reset */
    const char *socket_path; /* NULL: the default */
    signet_client *client;
} context;

typedef struct command {
    const char *name;
    const char *arguments; /* for the usage line */
    int positionals;       /* required positional arguments after the command */
    const char *summary;
    const char *help;
    int (*run)(context *ctl, char **args);
} command;

/* ---- output ---------------------------------------------------------------------------------------- */

/* Writes text that came from the agent or an identity provider, with control characters (C0, DEL, C1)
   replaced, so a crafted display name cannot drive the terminal. */
static void put_text(FILE *out, const char *text)
{
    if (!text)
        return;
    for (const unsigned char *p = (const unsigned char *)text; *p; ++p) {
        if (*p < 0x20 || *p == 0x7f) {
            fputc('?', out);
        } else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            fputc('?', out);
            ++p;
        } else {
            fputc(*p, out);
        }
    }
}

static void print_json(const json_t *value)
{
    json_dumpf(value, stdout, JSON_COMPACT | JSON_ENCODE_ANY);
    fputc('\n', stdout);
}

static void report(const char *message)
{
    fputs("signetctl: ", stderr);
    put_text(stderr, message);
    fputc('\n', stderr);
}

static int fail(const signet_error *err)
{
    report(err->message);
    return signet_exit_code(err);
}

static int usage_error(const char *format, const char *argument)
{
    fputs("signetctl: ", stderr);
    fprintf(stderr, format, argument);
    fputs("\nRun 'signetctl --help' for usage.\n", stderr);
    return SIGNET_EXIT_USAGE;
}

static const char *string_member(const json_t *object, const char *key)
{
    return json_string_value(json_object_get(object, key));
}

/* "59 min", "1 h 5 min", "2 d 3 h"; for times left. */
static void format_duration(json_int_t seconds, char *buffer, size_t size)
{
    if (seconds <= 0)
        snprintf(buffer, size, "expired");
    else if (seconds < 60)
        snprintf(buffer, size, "%lld s", (long long)seconds);
    else if (seconds < 3600)
        snprintf(buffer, size, "%lld min", (long long)(seconds / 60));
    else if (seconds < 86400)
        snprintf(buffer, size, "%lld h %lld min", (long long)(seconds / 3600), (long long)(seconds % 3600 / 60));
    else
        snprintf(buffer, size, "%lld d %lld h", (long long)(seconds / 86400), (long long)(seconds % 86400 / 3600));
}

/* "2026-11-22T10:00:00Z (in 59 min)", from `expires_at` and `expires_in`. */
static void put_expiry(const json_t *object)
{
    const char *at = string_member(object, "expires_at");
    const json_t *in = json_object_get(object, "expires_in");
    if (at)
        put_text(stdout, at);
    if (json_is_integer(in)) {
        char left[64];
        format_duration(json_integer_value(in), left, sizeof(left));
        if (json_integer_value(in) > 0)
            printf(at ? " (in %s)" : "in %s", left);
        else
            printf(at ? " (%s)" : "%s", left);
    }
    fputc('\n', stdout);
}

/* "Alice Example <alice@example.com>", or whatever part of it the provider gave. */
static void put_person(FILE *out, const json_t *identity)
{
    const char *name = string_member(identity, "name");
    const char *email = string_member(identity, "email");
    if (name && *name && email && *email) {
        put_text(out, name);
        fputs(" <", out);
        put_text(out, email);
        fputc('>', out);
    } else if (email && *email) {
        put_text(out, email);
    } else if (name && *name) {
        put_text(out, name);
    } else {
        const char *subject = string_member(identity, "subject");
        put_text(out, subject ? subject : "(unknown)");
    }
}

static void put_field(const char *label, const char *value)
{
    if (!value)
        return;
    printf("%-10s ", label);
    put_text(stdout, value);
    fputc('\n', stdout);
}

/* Display width of UTF-8 text, close enough for aligning columns. */
static int text_width(const char *text)
{
    int width = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; ++p)
        width += (*p & 0xc0) != 0x80;
    return width;
}

static void put_padded(const char *text, int width)
{
    put_text(stdout, text);
    for (int i = text_width(text); i < width; ++i)
        fputc(' ', stdout);
}

/* ---- talking to the agent -------------------------------------------------------------------------- */

static int connect_agent(context *ctl)
{
    signet_error err = {0};
    ctl->client = signet_client_connect(ctl->socket_path, &err);
    return ctl->client ? 0 : fail(&err);
}

/* Connects if needed and runs one request. Returns 0 and *result, or the exit code. */
static int call(context *ctl, const char *method, json_t *params, int timeout_ms, json_t **result)
{
    if (!ctl->client) {
        const int status = connect_agent(ctl);
        if (status != 0)
            return status;
    }
    signet_error err = {0};
    *result = signet_client_call(ctl->client, method, params, timeout_ms, NULL, NULL, &err);
    return *result ? 0 : fail(&err);
}

static int quick_call(context *ctl, const char *method, json_t *params, json_t **result)
{
    return call(ctl, method, params, QUICK_TIMEOUT_MS, result);
}

/* Prints `result` as JSON and returns 0 when --json is on; -1 otherwise. */
static int json_only(const context *ctl, const json_t *result)
{
    if (!ctl->json)
        return -1;
    print_json(result);
    return 0;
}

/* ---- signals --------------------------------------------------------------------------------------- */

/* Ctrl-C while signetctl waits on the agent: the handler writes to a pipe the client library polls. */
static int signal_pipe[2] = {-1, -1};

static void on_signal(int signal_number)
{
    const int saved = errno;
    const unsigned char byte = (unsigned char)signal_number;
    ssize_t ignored = write(signal_pipe[1], &byte, 1);
    (void)ignored;
    errno = saved;
}

static const int interrupting_signals[] = {SIGINT, SIGTERM, SIGHUP};

static int catch_interrupts(context *ctl)
{
    if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        fprintf(stderr, "signetctl: cannot create a pipe: %s\n", strerror(errno));
        return SIGNET_EXIT_FAILURE;
    }
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < sizeof(interrupting_signals) / sizeof(interrupting_signals[0]); ++i)
        sigaction(interrupting_signals[i], &action, NULL);
    signet_client_set_interrupt_fd(ctl->client, signal_pipe[0]);
    return 0;
}

/* After the first interrupt a second one ends signetctl at once. */
static void release_interrupts(context *ctl)
{
    signet_client_set_interrupt_fd(ctl->client, -1);
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < sizeof(interrupting_signals) / sizeof(interrupting_signals[0]); ++i)
        sigaction(interrupting_signals[i], &action, NULL);
}

/* ---- the browser ----------------------------------------------------------------------------------- */

typedef struct argv_list {
    char **argv;
    size_t count;
    size_t capacity;
} argv_list;

static int argv_push(argv_list *list, char *argument)
{
    if (list->count + 2 > list->capacity) {
        const size_t capacity = list->capacity ? list->capacity * 2 : 8;
        char **argv = realloc(list->argv, capacity * sizeof(*argv));
        if (!argv) {
            free(argument);
            return -1;
        }
        list->argv = argv;
        list->capacity = capacity;
    }
    list->argv[list->count++] = argument;
    list->argv[list->count] = NULL;
    return 0;
}

static void argv_free(argv_list *list)
{
    for (size_t i = 0; i < list->count; ++i)
        free(list->argv[i]);
    free(list->argv);
    memset(list, 0, sizeof(*list));
}

/* One BROWSER entry to an argv: split on whitespace, "%s" -> the URL, "%%" -> "%", and the URL appended
   when no word holds "%s". No shell is involved: the URL is always exactly one argument. */
static int browser_argv(const char *entry, size_t entry_length, const char *url, argv_list *list)
{
    int url_placed = 0;
    size_t i = 0;
    while (i < entry_length) {
        while (i < entry_length && (entry[i] == ' ' || entry[i] == '\t' || entry[i] == '\n'))
            ++i;
        if (i == entry_length)
            break;
        size_t end = i;
        size_t size = 1;
        while (end < entry_length && entry[end] != ' ' && entry[end] != '\t' && entry[end] != '\n') {
            if (entry[end] == '%' && end + 1 < entry_length && entry[end + 1] == 's') {
                size += strlen(url);
                end += 2;
            } else {
                size += 1;
                end += (entry[end] == '%' && end + 1 < entry_length && entry[end + 1] == '%') ? 2 : 1;
            }
        }
        char *word = malloc(size);
        if (!word)
            return -1;
        char *out = word;
        for (size_t j = i; j < end;) {
            if (entry[j] == '%' && j + 1 < end && entry[j + 1] == 's') {
                out = stpcpy(out, url);
                url_placed = 1;
                j += 2;
            } else {
                *out++ = entry[j];
                j += (entry[j] == '%' && j + 1 < end && entry[j + 1] == '%') ? 2 : 1;
            }
        }
        *out = '\0';
        if (argv_push(list, word) < 0)
            return -1;
        i = end;
    }
    if (list->count == 0)
        return 0; /* an empty entry: skipped */
    if (!url_placed) {
        char *copy = strdup(url);
        if (!copy || argv_push(list, copy) < 0)
            return -1;
    }
    return 0;
}

/* Starts the browser detached: $BROWSER (a colon-separated list, tried in order) or xdg-open. Returns 0 when
   one of them could be started; -1 with a reason otherwise. Never waits for the browser. */
static int open_browser(const char *url, char *why, size_t why_size)
{
    const char *browser = getenv("BROWSER");
    if (!browser || !*browser)
        browser = "xdg-open";

    argv_list candidates[32];
    size_t count = 0;
    for (const char *entry = browser; count < sizeof(candidates) / sizeof(candidates[0]);) {
        const char *colon = strchr(entry, ':');
        const size_t length = colon ? (size_t)(colon - entry) : strlen(entry);
        memset(&candidates[count], 0, sizeof(candidates[count]));
        if (browser_argv(entry, length, url, &candidates[count]) < 0) {
            argv_free(&candidates[count]);
            for (size_t i = 0; i < count; ++i)
                argv_free(&candidates[i]);
            snprintf(why, why_size, "out of memory");
            return -1;
        }
        if (candidates[count].count > 0)
            ++count;
        if (!colon)
            break;
        entry = colon + 1;
    }
    if (count == 0) {
        snprintf(why, why_size, "BROWSER names no command");
        return -1;
    }

    /* The grandchild reports a failed exec through this pipe; a successful exec closes it (O_CLOEXEC). */
    int report_pipe[2];
    int result = -1;
    if (pipe2(report_pipe, O_CLOEXEC) < 0) {
        snprintf(why, why_size, "cannot create a pipe: %s", strerror(errno));
        goto out;
    }
    fflush(NULL);
    const pid_t child = fork();
    if (child < 0) {
        snprintf(why, why_size, "cannot fork: %s", strerror(errno));
        close(report_pipe[0]);
        close(report_pipe[1]);
        goto out;
    }
    if (child == 0) {
        /* Double fork: the browser is reparented at once, so it never becomes our zombie; its own session
           keeps a Ctrl-C meant for signetctl away from it. */
        setsid();
        const pid_t grandchild = fork();
        if (grandchild != 0)
            _exit(grandchild < 0 ? 127 : 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd >= 0)
            dup2(null_fd, STDIN_FILENO);
        dup2(STDERR_FILENO, STDOUT_FILENO); /* stdout is for signetctl's results only */
        int error = ENOENT;
        for (size_t i = 0; i < count; ++i) {
            execvp(candidates[i].argv[0], candidates[i].argv);
            error = errno;
        }
        ssize_t ignored = write(report_pipe[1], &error, sizeof(error));
        (void)ignored;
        _exit(127);
    }
    close(report_pipe[1]);
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    int exec_error = 0;
    ssize_t got;
    do {
        got = read(report_pipe[0], &exec_error, sizeof(exec_error));
    } while (got < 0 && errno == EINTR);
    close(report_pipe[0]);
    if (got == (ssize_t)sizeof(exec_error)) {
        snprintf(why, why_size, "%s%s: %s", candidates[0].argv[0], count > 1 ? " and the other BROWSER commands" : "",
                 strerror(exec_error));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        result = 0;
    } else {
        snprintf(why, why_size, "cannot start a process");
    }
out:
    for (size_t i = 0; i < count; ++i)
        argv_free(&candidates[i]);
    return result;
}

/* ---- commands -------------------------------------------------------------------------------------- */

static void put_problem(const json_t *problem)
{
    const char *severity = string_member(problem, "severity");
    const char *file = string_member(problem, "file");
    const char *group = string_member(problem, "group");
    const char *key = string_member(problem, "key");
    const char *message = string_member(problem, "message");
    printf("           %s: ", severity ? severity : "problem");
    if (file && *file) {
        put_text(stdout, file);
        fputs(": ", stdout);
    }
    if (group && *group) {
        fputc('[', stdout);
        put_text(stdout, group);
        fputs("] ", stdout);
    }
    if (key && *key) {
        put_text(stdout, key);
        fputs(": ", stdout);
    }
    put_text(stdout, message ? message : "(no details)");
    fputc('\n', stdout);
}

static int run_status(context *ctl, char **args)
{
    (void)args;
    json_t *result;
    const int status = quick_call(ctl, "status", NULL, &result);
    if (status != 0)
        return status;
    if (json_only(ctl, result) == 0) {
        json_decref(result);
        return 0;
    }

    const char *state = string_member(result, "state");
    if (state && strcmp(state, "signed_in") == 0)
        put_field("State:", "signed in");
    else if (state && strcmp(state, "signing_in") == 0)
        put_field("State:", "signing in");
    else if (state && strcmp(state, "signed_out") == 0)
        put_field("State:", "signed out");
    else
        put_field("State:", state ? state : "unknown");
    put_field("Provider:", string_member(result, "provider"));
    put_field("Attention:", string_member(result, "attention"));
    if (string_member(result, "expires_at") || json_is_integer(json_object_get(result, "expires_in"))) {
        printf("%-10s ", "Expires:");
        put_expiry(result);
    }

    const json_t *signin = json_object_get(result, "signin");
    if (json_is_object(signin)) {
        const char *provider = string_member(signin, "provider");
        printf("%-10s running with ", "Sign-in:");
        put_text(stdout, provider ? provider : "a provider");
        const json_t *in = json_object_get(signin, "expires_in");
        if (json_is_integer(in)) {
            char left[64];
            format_duration(json_integer_value(in), left, sizeof(left));
            printf(json_integer_value(in) > 0 ? " (expires in %s)" : " (%s)", left);
        }
        fputc('\n', stdout);
        const char *url = string_member(signin, "url");
        if (url) {
            printf("%-10s ", "");
            put_text(stdout, url);
            fputc('\n', stdout);
        }
    } else {
        put_field("Sign-in:", "none running");
    }

    const json_t *config = json_object_get(result, "config");
    const json_t *problems = json_object_get(config, "problems");
    size_t errors = 0, warnings = 0, index;
    const json_t *problem;
    json_array_foreach(problems, index, problem) {
        const char *severity = string_member(problem, "severity");
        if (severity && strcmp(severity, "warning") == 0)
            ++warnings;
        else
            ++errors;
    }
    const json_t *ok = json_object_get(config, "ok");
    printf("%-10s %s", "Config:", json_is_false(ok) ? "broken" : "ok");
    if (errors > 0 && warnings > 0)
        printf(" (%zu error%s, %zu warning%s)", errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
    else if (errors > 0)
        printf(" (%zu error%s)", errors, errors == 1 ? "" : "s");
    else if (warnings > 0)
        printf(" (%zu warning%s)", warnings, warnings == 1 ? "" : "s");
    fputc('\n', stdout);
    json_array_foreach(problems, index, problem) put_problem(problem);
    json_decref(result);
    return 0;
}

static int run_providers(context *ctl, char **args)
{
    (void)args;
    json_t *result;
    const int status = quick_call(ctl, "providers", NULL, &result);
    if (status != 0)
        return status;
    if (json_only(ctl, result) == 0) {
        json_decref(result);
        return 0;
    }
    const json_t *providers = json_object_get(result, "providers");
    if (json_array_size(providers) == 0) {
        puts("No identity provider is configured (see docs/configuration.md).");
        json_decref(result);
        return 0;
    }
    int id_width = 2, name_width = 4, type_width = 4;
    size_t index;
    const json_t *provider;
    json_array_foreach(providers, index, provider) {
        const char *id = string_member(provider, "id");
        const char *name = string_member(provider, "display_name");
        const char *type = string_member(provider, "type");
        if (id && text_width(id) > id_width)
            id_width = text_width(id);
        if (name && text_width(name) > name_width)
            name_width = text_width(name);
        if (type && text_width(type) > type_width)
            type_width = text_width(type);
    }
    printf("%-*s  %-*s  %-*s  %s\n", id_width, "ID", name_width, "NAME", type_width, "TYPE", "STATUS");
    json_array_foreach(providers, index, provider) {
        const char *id = string_member(provider, "id");
        const char *name = string_member(provider, "display_name");
        const char *type = string_member(provider, "type");
        put_padded(id ? id : "?", id_width);
        fputs("  ", stdout);
        put_padded(name ? name : "", name_width);
        fputs("  ", stdout);
        put_padded(type ? type : "", type_width);
        fputs("  ", stdout);
        if (json_is_false(json_object_get(provider, "available"))) {
            const char *problem = string_member(provider, "problem");
            fputs("unavailable", stdout);
            if (problem) {
                fputs(": ", stdout);
                put_text(stdout, problem);
            }
            fputc('\n', stdout);
        } else {
            fputs("available\n", stdout);
        }
    }
    json_decref(result);
    return 0;
}

static int run_whoami(context *ctl, char **args)
{
    (void)args;
    json_t *result;
    const int status = quick_call(ctl, "whoami", NULL, &result);
    if (status != 0)
        return status;
    const json_t *identity = json_object_get(result, "identity");
    if (!json_is_object(identity)) {
        json_decref(result);
        report("The agent's answer to 'whoami' has no identity.");
        return SIGNET_EXIT_FAILURE;
    }
    if (json_only(ctl, identity) == 0) {
        json_decref(result);
        return 0;
    }
    put_field("Name:", string_member(identity, "name"));
    const char *email = string_member(identity, "email");
    if (email) {
        printf("%-10s ", "E-mail:");
        put_text(stdout, email);
        fputs(json_is_false(json_object_get(identity, "email_verified")) ? " (unverified)\n" : "\n", stdout);
    }
    put_field("Provider:", string_member(identity, "provider"));
    put_field("Issuer:", string_member(identity, "issuer"));
    put_field("Subject:", string_member(identity, "subject"));
    put_field("Since:", string_member(identity, "signed_in_at"));
    if (string_member(identity, "expires_at") || json_is_integer(json_object_get(identity, "expires_in"))) {
        printf("%-10s ", "Expires:");
        put_expiry(identity);
    }
    json_decref(result);
    return 0;
}

typedef struct signin_progress {
    context *ctl;
    const char *provider_name; /* display name, or the id */
    char *shown_url;           /* the URL already opened or printed */
} signin_progress;

static int is_web_url(const char *url)
{
    return strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0;
}

/* The device flow's prompt: where to go and which code to enter, on stderr (stdout stays for the
   result), or as one JSON line on stdout with --json. */
/* Joining a running sign-in repeats its event: show each address or code once. */
static int first_time(signin_progress *progress, const char *shown)
{
    if (!shown || (progress->shown_url && strcmp(progress->shown_url, shown) == 0))
        return 0;
    free(progress->shown_url);
    progress->shown_url = strdup(shown);
    return 1;
}

static void on_device_code(signin_progress *progress, const json_t *data)
{
    const char *code = string_member(data, "user_code");
    const char *uri = string_member(data, "verification_uri");
    if (!uri || !first_time(progress, code))
        return;
    if (progress->ctl->json) {
        json_t *line = json_pack("{s:s,s:O}", "event", "device-code", "data", data);
        print_json(line);
        json_decref(line);
        fflush(stdout);
        return;
    }
    fputs("To sign in to ", stderr);
    put_text(stderr, progress->provider_name);
    fputs(", open this address on any device:\n  ", stderr);
    put_text(stderr, uri);
    fputs("\nand enter the code:\n  ", stderr);
    put_text(stderr, code);
    const char *complete = string_member(data, "verification_uri_complete");
    if (complete) {
        fputs("\n(or open, with the code filled in: ", stderr);
        put_text(stderr, complete);
        fputc(')', stderr);
    }
    fputs("\nOnly enter the code if you started this sign-in yourself.\n", stderr);
    fflush(stderr);
}

static void on_signin_message(json_t *message, void *user_data)
{
    signin_progress *progress = user_data;
    const char *event = signet_message_get_event(message);
    if (event && strcmp(event, "device-code") == 0 && signet_message_get_id(message, NULL)) {
        on_device_code(progress, json_object_get(message, "data"));
        return;
    }
    /* This connection runs one request at a time, so an authorization-url event with an id is ours. */
    if (!event || strcmp(event, "authorization-url") != 0 || !signet_message_get_id(message, NULL))
        return;
    const char *url = string_member(json_object_get(message, "data"), "url");
    if (!first_time(progress, url))
        return;

    if (progress->ctl->no_browser) {
        put_text(stdout, url);
        fputc('\n', stdout);
        fflush(stdout);
        return;
    }
    if (!is_web_url(url)) {
        /* A URL starting with '-' would reach the browser as an option: open only http(s). */
        fputs("signetctl: The agent sent an authorization URL that is not http(s); not opening it:\n  ", stderr);
        put_text(stderr, url);
        fputc('\n', stderr);
        return;
    }
    fputs("Opening your browser to sign in to ", stderr);
    put_text(stderr, progress->provider_name);
    fputs("\u2026 If nothing opens, visit:\n  ", stderr);
    put_text(stderr, url);
    fputc('\n', stderr);
    fflush(stderr);
    char why[512];
    if (open_browser(url, why, sizeof(why)) < 0) {
        fputs("signetctl: Could not start a browser (", stderr);
        put_text(stderr, why);
        fputs("); open the address above yourself.\n", stderr);
    }
}

/* The provider's display name from `providers`, or NULL when the agent does not list it. */
static char *provider_display_name(context *ctl, const char *id, int *status)
{
    signet_error err = {0};
    *status = 0;
    json_t *result = signet_client_call(ctl->client, "providers", NULL, QUICK_TIMEOUT_MS, NULL, NULL, &err);
    if (!result) {
        if (err.kind != SIGNET_ERROR_REMOTE)
            *status = fail(&err);
        return NULL; /* the agent's answer to signin explains any problem with the provider */
    }
    char *name = NULL;
    size_t index;
    const json_t *provider;
    json_array_foreach(json_object_get(result, "providers"), index, provider) {
        const char *provider_id = string_member(provider, "id");
        const char *display_name = string_member(provider, "display_name");
        if (provider_id && strcmp(provider_id, id) == 0 && display_name && *display_name) {
            name = strdup(display_name);
            break;
        }
    }
    json_decref(result);
    return name;
}

static int run_signin(context *ctl, char **args)
{
    const char *provider = args[0];
    int status = connect_agent(ctl);
    if (status != 0)
        return status;
    char *display_name = provider_display_name(ctl, provider, &status);
    if (status != 0)
        return status;
    status = catch_interrupts(ctl);
    if (status != 0) {
        free(display_name);
        return status;
    }

    signin_progress progress = {.ctl = ctl, .provider_name = display_name ? display_name : provider};
    json_t *params = json_pack("{s:s,s:b}", "provider", provider, "device", ctl->device);
    signet_error err = {0};
    if (!params) {
        /* json_pack refuses strings that are not UTF-8. */
        fprintf(stderr, "signetctl: the provider id must be UTF-8 text; see 'signetctl providers'\n");
        release_interrupts(ctl);
        free(display_name);
        return SIGNET_EXIT_USAGE;
    }
    /* No timeout: the agent ends the sign-in itself when its one-time state expires. */
    json_t *result = signet_client_call(ctl->client, "signin", params, -1, on_signin_message, &progress, &err);
    json_decref(params);
    free(progress.shown_url);

    if (!result && err.kind == SIGNET_ERROR_INTERRUPTED) {
        release_interrupts(ctl);
        json_t *cancelled = signet_client_call(ctl->client, "cancel", NULL, CANCEL_TIMEOUT_MS, NULL, NULL, &err);
        if (cancelled)
            report("Sign-in cancelled.");
        else
            fprintf(stderr, "signetctl: Interrupted, but the sign-in could not be cancelled: %s\n", err.message);
        json_decref(cancelled);
        free(display_name);
        return SIGNET_EXIT_FAILURE;
    }
    release_interrupts(ctl);
    if (!result) {
        free(display_name);
        return fail(&err);
    }
    const json_t *identity = json_object_get(result, "identity");
    if (ctl->json) {
        print_json(identity ? identity : result);
    } else {
        fputs("Signed in", stdout);
        if (json_is_object(identity)) {
            fputs(" as ", stdout);
            put_person(stdout, identity);
        }
        fputs(" via ", stdout);
        put_text(stdout, progress.provider_name);
        fputc('\n', stdout);
    }
    json_decref(result);
    free(display_name);
    return 0;
}

/* The one command that prints a secret: the access token, alone, on stdout, for a program to use. */
static int run_token(context *ctl, char **args)
{
    (void)args;
    json_t *params = json_object();
    if (ctl->scope_count > 0) {
        json_t *scopes = json_array();
        for (int i = 0; i < ctl->scope_count; ++i) {
            json_t *scope = json_string(ctl->scopes[i]);
            if (!scope) {
                json_decref(scopes);
                json_decref(params);
                fprintf(stderr, "signetctl: a scope must be UTF-8 text\n");
                return SIGNET_EXIT_USAGE;
            }
            json_array_append_new(scopes, scope);
        }
        json_object_set_new(params, "scopes", scopes);
    }
    if (ctl->min_valid >= 0)
        json_object_set_new(params, "min_valid", json_integer(ctl->min_valid));
    json_t *result;
    /* An app without a grant waits while the Signet window asks the person (at most 2 minutes). */
    const int status = call(ctl, "token", params, CONSENT_TIMEOUT_MS, &result);
    json_decref(params);
    if (status != 0)
        return status;
    if (json_only(ctl, result) != 0) {
        const char *token = string_member(result, "access_token");
        if (!token) {
            json_decref(result);
            fputs("signetctl: the agent sent no access token\n", stderr);
            return SIGNET_EXIT_FAILURE;
        }
        puts(token);
    }
    json_decref(result);
    return 0;
}

static int run_cancel(context *ctl, char **args)
{
    (void)args;
    json_t *result;
    const int status = quick_call(ctl, "cancel", NULL, &result);
    if (status != 0)
        return status;
    if (json_only(ctl, result) != 0)
        puts(json_is_true(json_object_get(result, "cancelled")) ? "Cancelled the running sign-in." : "No sign-in was running.");
    json_decref(result);
    return 0;
}

static int run_signout(context *ctl, char **args)
{
    (void)args;
    json_t *result;
    const int status = quick_call(ctl, "signout", NULL, &result);
    if (status != 0)
        return status;
    if (json_only(ctl, result) != 0) {
        puts("Signed out.");
        /* Signed out here in any case; say what the provider was told. */
        const char *revocation_error = string_member(result, "revocation_error");
        if (revocation_error) {
            fputs("signetctl: ", stderr);
            put_text(stderr, revocation_error);
            fputc('\n', stderr);
        }
        const char *end_session = string_member(result, "end_session_url");
        if (end_session && is_web_url(end_session)) {
            fputs("To sign out at the provider as well (other apps in your browser included), open:\n  ", stderr);
            put_text(stderr, end_session);
            fputc('\n', stderr);
        }
    }
    json_decref(result);
    return 0;
}

static int run_apps(context *ctl, char **args)
{
    (void)args;
    json_t *params = ctl->revoke ? json_pack("{s:s}", "revoke", ctl->revoke) : NULL;
    json_t *result;
    const int status = quick_call(ctl, "apps", params, &result);
    json_decref(params);
    if (status != 0)
        return status;
    if (json_only(ctl, result) == 0) {
        json_decref(result);
        return 0;
    }
    if (ctl->revoke) {
        fputs("Revoked: ", stdout);
        put_text(stdout, ctl->revoke);
        fputs("\nThe app will have to ask again.\n", stdout);
        json_decref(result);
        return 0;
    }
    const json_t *apps = json_object_get(result, "apps");
    if (json_array_size(apps) == 0)
        puts("No app has a grant yet.");
    size_t index;
    const json_t *app;
    json_array_foreach(apps, index, app) {
        const char *access = string_member(app, "access");
        printf("%-6s ", access ? access : "?");
        put_text(stdout, string_member(app, "name"));
        fputs(json_is_true(json_object_get(app, "revocable")) ? "  (your answer)\n" : "  (IT's policy)\n", stdout);
        fputs("       id:      ", stdout);
        put_text(stdout, string_member(app, "id"));
        fputs("\n       program: ", stdout);
        put_text(stdout, string_member(app, "exe"));
        if (string_member(app, "script")) {
            fputs(" running ", stdout);
            put_text(stdout, string_member(app, "script"));
        }
        fputs("\n       scopes:  ", stdout);
        size_t i;
        const json_t *scope;
        json_array_foreach(json_object_get(app, "scopes"), i, scope) {
            if (i)
                fputc(' ', stdout);
            put_text(stdout, json_string_value(scope));
        }
        fputc('\n', stdout);
    }
    fputs("Apps not listed: ", stdout);
    put_text(stdout, string_member(result, "unknown_apps"));
    fputs(" (unknown_apps). Revoke your answer with 'signetctl apps --revoke ID'.\n", stdout);
    json_decref(result);
    return 0;
}

static int run_reset(context *ctl, char **args)
{
    (void)args;
    if (!ctl->yes)
        return usage_error("%s forgets every account, app grant and stored secret of this user; add --yes to do it.", "reset");
    json_t *params = json_pack("{s:b}", "confirm", 1);
    json_t *result;
    const int status = quick_call(ctl, "reset", params, &result);
    json_decref(params);
    if (status != 0)
        return status;
    if (json_only(ctl, result) != 0) {
        printf("Forgot %lld account(s) and %lld app answer(s)%s.\n", (long long)json_integer_value(json_object_get(result, "accounts")),
               (long long)json_integer_value(json_object_get(result, "grants")),
               json_is_true(json_object_get(result, "signed_out")) ? "; signed out" : "");
        const char *revocation_error = string_member(result, "revocation_error");
        if (revocation_error)
            report(revocation_error);
    }
    json_decref(result);
    return 0;
}

static void put_event(const json_t *message)
{
    const char *event = signet_message_get_event(message);
    const json_t *data = json_object_get(message, "data");
    put_text(stdout, event);
    fputs(": ", stdout);
    if (strcmp(event, "signed-in") == 0 && json_is_object(json_object_get(data, "identity"))) {
        const json_t *identity = json_object_get(data, "identity");
        put_person(stdout, identity);
        const char *provider = string_member(identity, "provider");
        if (provider) {
            fputs(" via ", stdout);
            put_text(stdout, provider);
        }
    } else if (strcmp(event, "signed-out") == 0) {
        const char *provider = string_member(data, "provider");
        const char *reason = string_member(data, "reason");
        put_text(stdout, provider ? provider : "(unknown provider)");
        if (reason && strcmp(reason, "user") == 0)
            fputs(" (signed out)", stdout);
        else if (reason && strcmp(reason, "expired") == 0)
            fputs(" (the session expired)", stdout);
        else if (reason && strcmp(reason, "policy") == 0)
            fputs(" (the policy no longer admits this identity)", stdout);
        else if (reason && strcmp(reason, "revoked") == 0)
            fputs(" (the provider ended the session; sign in again)", stdout);
        else if (reason) {
            fputs(" (", stdout);
            put_text(stdout, reason);
            fputc(')', stdout);
        }
    } else if (strcmp(event, "policy-changed") == 0) {
        const json_t *identity = json_object_get(data, "identity");
        fputs("the configuration was reloaded", stdout);
        if (json_is_object(identity)) {
            fputs("; signed in as ", stdout);
            put_person(stdout, identity);
        }
    } else {
        /* An event this version does not know: its data as JSON, escaped and on one line. */
        char *text = json_dumps(data ? data : json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
        put_text(stdout, text);
        free(text);
    }
    fputc('\n', stdout);
}

static int run_watch(context *ctl, char **args)
{
    (void)args;
    json_t *subscribed;
    int status = quick_call(ctl, "subscribe", NULL, &subscribed);
    if (status != 0)
        return status;
    json_decref(subscribed);
    status = catch_interrupts(ctl);
    if (status != 0)
        return status;
    for (;;) {
        signet_error err = {0};
        json_t *message = signet_client_read(ctl->client, -1, &err);
        if (!message) {
            if (err.kind == SIGNET_ERROR_PROTOCOL && signet_client_is_usable(ctl->client)) {
                /* A single malformed line was skipped: say so and go on watching. */
                report(err.message);
                continue;
            }
            release_interrupts(ctl);
            return err.kind == SIGNET_ERROR_INTERRUPTED ? 0 : fail(&err);
        }
        if (signet_message_get_kind(message) == SIGNET_MESSAGE_EVENT && signet_message_get_event(message)) {
            if (ctl->json)
                print_json(message);
            else
                put_event(message);
            fflush(stdout);
        }
        json_decref(message);
    }
}

/* ---- command line ---------------------------------------------------------------------------------- */

static const command commands[] = {
    {"status", "", 0, "Show the session state, a running sign-in and configuration problems",
     "Shows whether somebody is signed in, with which provider and for how long, whether a sign-in is running\n"
     "(and its address), and what is wrong with the configuration.\n"
     "With --json, prints the agent's status object.\n",
     run_status},
    {"providers", "", 0, "List the configured identity providers",
     "Lists the configured identity providers in their configured order: id (what 'signin' takes), display\n"
     "name, type, and whether it can be used (or what to fix in the configuration).\n"
     "With --json, prints {\"providers\": [...]}.\n",
     run_providers},
    {"token", "[--scope SCOPE]... [--min-valid SECONDS]", 0, "Print an access token for the signed-in identity",
     "Prints the session's access token on stdout, alone on one line, for a program to use (the only command that\n"
     "prints a secret). It is valid for at least --min-valid seconds (default 60, at most 3600): the agent renews it\n"
     "first if needed. --scope (repeatable) names scopes the token must carry; scopes the session was not granted\n"
     "are refused (exit 5). Exit 3 when nobody is signed in. With --json, prints {\"access_token\", \"expires_in\", ...}.\n",
     run_token},
    {"whoami", "", 0, "Show who is signed in (exit 3 when nobody is)",
     "Shows the signed-in person: name, e-mail, provider, issuer and subject, and when the session expires.\n"
     "Exits with 3 when nobody is signed in. With --json, prints the identity object.\n",
     run_whoami},
    {"signin", "<provider> [--no-browser | --device]", 1, "Sign in with an identity provider, in your browser",
     "Starts a sign-in with <provider> (an id from 'signetctl providers') and opens the provider's page in\n"
     "your browser: the commands in $BROWSER (colon-separated, tried in order; %s stands for the address),\n"
     "else xdg-open. Then waits until the sign-in ends. Ctrl-C cancels the sign-in.\n"
     "\n"
     "  --no-browser   Open nothing; print the address alone on one line of stdout instead\n"
     "  --device       Sign in on another device (for SSH sessions): prints an address and a code to\n"
     "                 enter there, then waits. Only where IT allows it (allow_device_flow).\n"
     "\n"
     "With --json, prints the new identity object.\n",
     run_signin},
    {"cancel", "", 0, "Cancel the running sign-in",
     "Cancels the running sign-in, if any (exit 0 either way). With --json, prints {\"cancelled\": true|false}.\n",
     run_cancel},
    {"signout", "", 0, "Sign out (exit 3 when nobody is signed in)",
     "Ends the session: the agent forgets it and its tokens. Exits with 3 when nobody is signed in.\n"
     "With --json, prints {\"signed_out\": true}.\n",
     run_signout},
    {"apps", "[--revoke ID]", 0, "List the apps that may use your identity, or revoke your answer for one",
     "Lists the companion apps with a grant: IT's (from the policy, not changeable here) and your answers to\n"
     "the Signet window's prompts, with the program, its scopes and whether it is allowed or denied.\n"
     "\n"
     "  --revoke ID    Forget your answer for the app with this id: it has to ask again\n"
     "\n"
     "With --json, prints the agent's {\"apps\": [...], \"unknown_apps\", \"whoami\"} (or {\"revoked\": true}).\n",
     run_apps},
    {"reset", "--yes", 0, "Forget everything: accounts, app answers, stored secrets (and sign out)",
     "Signs out (telling the provider, as 'signout' does) and forgets every account registered on this\n"
     "desktop, every answer given to app prompts and every secret in the keychain. IT's policy stays.\n"
     "Needs --yes. With --json, prints {\"reset\": true, \"signed_out\": ..., \"accounts\": N, \"grants\": N}.\n",
     run_reset},
    {"watch", "", 0, "Print sign-in and sign-out events as they happen",
     "Prints one line per event until interrupted (exit 0) or until the agent stops (exit 4).\n"
     "With --json, prints each event message as the agent sent it, one per line.\n",
     run_watch},
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; ++i) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

static void print_help(void)
{
    fputs("Usage: signetctl [--json] [--socket PATH] <command> [<arguments>]\n"
          "\n"
          "Talks to signet-agent, which holds your single sign-on session.\n"
          "\n"
          "Commands:\n",
          stdout);
    for (size_t i = 0; i < COMMAND_COUNT; ++i) {
        char left[64];
        snprintf(left, sizeof(left), "%s %s", commands[i].name, commands[i].positionals ? "<provider>" : "");
        printf("  %-20s %s\n", left, commands[i].summary);
    }
    printf("  %-20s %s\n", "help [<command>]", "Show help for a command");
    fputs("\n"
          "Options (anywhere on the line):\n"
          "  --json               Print the result as compact JSON on one line of stdout\n"
          "  --socket PATH        Talk to the agent at PATH (default: $XDG_RUNTIME_DIR/signet/agent.sock)\n"
          "  -h, --help           Show this help, or a command's help after the command\n"
          "  --version            Show the version\n"
          "\n"
          "Exit codes: 0 ok, 1 failure, 2 usage, 3 not signed in, 4 agent not running, 5 refused by policy,\n"
          "6 provider error, 7 keychain error, 8 configuration error.\n"
          "\n"
          "Example: signetctl whoami --json | jq -r .email\n",
          stdout);
}

static void print_command_help(const command *cmd)
{
    printf("Usage: signetctl [--json] [--socket PATH] %s%s%s\n\n%s", cmd->name, *cmd->arguments ? " " : "",
           cmd->arguments, cmd->help);
}

int main(int argc, char **argv)
{
    /* Whole lines on stderr: the browser started for a sign-in shares it, and a line of ours must
       not be cut in half by one of its lines. */
    setvbuf(stderr, NULL, _IOLBF, BUFSIZ);
    context ctl = {0};
    ctl.min_valid = -1;
    int help = 0, version = 0;
    char **positionals = calloc((size_t)argc + 1, sizeof(*positionals));
    int positional_count = 0;
    if (!positionals) {
        fputs("signetctl: out of memory\n", stderr);
        return SIGNET_EXIT_FAILURE;
    }

    int options_done = 0;
    for (int i = 1; i < argc; ++i) {
        const char *argument = argv[i];
        if (options_done || argument[0] != '-' || argument[1] == '\0') {
            positionals[positional_count++] = argv[i];
        } else if (strcmp(argument, "--") == 0) {
            options_done = 1;
        } else if (strcmp(argument, "--json") == 0) {
            ctl.json = 1;
        } else if (strcmp(argument, "--no-browser") == 0) {
            ctl.no_browser = 1;
        } else if (strcmp(argument, "--device") == 0) {
            ctl.device = 1;
        } else if (strcmp(argument, "--scope") == 0) {
            if (i + 1 >= argc) {
                free(positionals);
                free(ctl.scopes);
                return usage_error("%s needs a scope.", argument);
            }
            if (!ctl.scopes)
                ctl.scopes = calloc((size_t)argc, sizeof(*ctl.scopes));
            if (!ctl.scopes) {
                free(positionals);
                return SIGNET_EXIT_FAILURE;
            }
            ctl.scopes[ctl.scope_count++] = argv[++i];
        } else if (strcmp(argument, "--min-valid") == 0) {
            char *end = NULL;
            if (i + 1 >= argc || (errno = 0, ctl.min_valid = strtol(argv[i + 1], &end, 10), errno != 0 || *end != '\0' || end == argv[i + 1] || ctl.min_valid < 0 || ctl.min_valid > 3600)) {
                free(positionals);
                free(ctl.scopes);
                return usage_error("%s needs a number of seconds from 0 to 3600.", argument);
            }
            ++i;
        } else if (strcmp(argument, "--revoke") == 0) {
            if (i + 1 >= argc) {
                free(positionals);
                free(ctl.scopes);
                return usage_error("%s needs the id of an app (see 'signetctl apps').", argument);
            }
            ctl.revoke = argv[++i];
        } else if (strcmp(argument, "--yes") == 0) {
            ctl.yes = 1;
        } else if (strcmp(argument, "--socket") == 0) {
            if (i + 1 >= argc) {
                free(positionals);
                return usage_error("%s needs a path.", argument);
            }
            ctl.socket_path = argv[++i];
        } else if (strncmp(argument, "--socket=", 9) == 0) {
            ctl.socket_path = argument + 9;
        } else if (strcmp(argument, "--help") == 0 || strcmp(argument, "-h") == 0) {
            help = 1;
        } else if (strcmp(argument, "--version") == 0) {
            version = 1;
        } else {
            free(positionals);
            return usage_error("unknown option '%s'.", argument);
        }
    }

    int status = 0;
    const command *cmd = NULL;
    if (version) {
        puts("signetctl " SIGNET_VERSION);
        goto done;
    }
    if (positional_count == 0) {
        if (help) {
            print_help();
        } else {
            fputs("signetctl: no command given.\n\n", stderr);
            fputs("Usage: signetctl [--json] [--socket PATH] <command> [<arguments>]\n"
                  "Commands: status, providers, whoami, token, signin, cancel, signout, apps, reset, watch, help.\n"
                  "Run 'signetctl --help' for details.\n",
                  stderr);
            status = SIGNET_EXIT_USAGE;
        }
        goto done;
    }
    if (strcmp(positionals[0], "help") == 0) {
        if (positional_count == 1) {
            print_help();
        } else if ((cmd = find_command(positionals[1])) != NULL) {
            print_command_help(cmd);
        } else {
            status = usage_error("unknown command '%s'.", positionals[1]);
        }
        goto done;
    }
    cmd = find_command(positionals[0]);
    if (!cmd) {
        status = usage_error("unknown command '%s'.", positionals[0]);
        goto done;
    }
    if (help) {
        print_command_help(cmd);
        goto done;
    }
    if (positional_count - 1 < cmd->positionals) {
        status = usage_error("'%s' needs more arguments.", cmd->name);
        fprintf(stderr, "Usage: signetctl %s %s\n", cmd->name, cmd->arguments);
        goto done;
    }
    if (positional_count - 1 > cmd->positionals) {
        status = usage_error("too many arguments: '%s'.", positionals[cmd->positionals + 1]);
        goto done;
    }
    if ((ctl.no_browser || ctl.device) && strcmp(cmd->name, "signin") != 0) {
        status = usage_error("%s goes with 'signin' only.", ctl.device ? "--device" : "--no-browser");
        goto done;
    }
    if ((ctl.scope_count > 0 || ctl.min_valid >= 0) && strcmp(cmd->name, "token") != 0) {
        status = usage_error("%s go with 'token' only.", "--scope and --min-valid");
        goto done;
    }
    if (ctl.revoke && strcmp(cmd->name, "apps") != 0) {
        status = usage_error("%s goes with 'apps' only.", "--revoke");
        goto done;
    }
    if (ctl.yes && strcmp(cmd->name, "reset") != 0) {
        status = usage_error("%s goes with 'reset' only.", "--yes");
        goto done;
    }
    if (ctl.no_browser && ctl.device) {
        status = usage_error("%s: a device sign-in opens no browser anyway.", "--no-browser and --device");
        goto done;
    }
    status = cmd->run(&ctl, positionals + 1);

done:
    signet_client_close(ctl.client);
    free(positionals);
    free(ctl.scopes);
    /* A full disk or a closed pipe must not pass for success in a script. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "signetctl: cannot write the output: %s\n", strerror(errno));
        if (status == 0)
            status = SIGNET_EXIT_FAILURE;
    }
    return status;
}
