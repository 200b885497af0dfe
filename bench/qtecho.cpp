// signet-bench-qtecho: the Qt floor of the IPC benchmark (bench/README.md). A bare QLocalServer that answers
// every line with the same line, on the same transport and event loop the agent uses, without the agent's work
// (JSON, caller identification, the session). The agent's distance to this is what Signet itself costs.
//
//   signet-bench-qtecho SOCKET      prints "ready" on stdout once it listens; runs until SIGTERM/SIGINT

#include <QCoreApplication>
#include <QLocalServer>
#include <QLocalSocket>
#include <QSocketNotifier>

#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace {

int signalPipe[2];

void onSignal(int)
{
    const char byte = 1;
    // Only async-signal-safe work here; the event loop does the rest.
    [[maybe_unused]] ssize_t written = ::write(signalPipe[1], &byte, 1);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: signet-bench-qtecho SOCKET\n");
        return 2;
    }
    const QString path = QString::fromLocal8Bit(argv[1]);
    QLocalServer::removeServer(path);
    QLocalServer server;
    server.setSocketOptions(QLocalServer::UserAccessOption);
    // The same backlog as a busy agent needs: 200 clients connect at once in the throughput run.
    server.setListenBacklogSize(1024);
    if (!server.listen(path)) {
        std::fprintf(stderr, "signet-bench-qtecho: cannot listen on %s: %s\n", argv[1],
                     qPrintable(server.errorString()));
        return 1;
    }
    QObject::connect(&server, &QLocalServer::newConnection, &server, [&server] {
        while (QLocalSocket *socket = server.nextPendingConnection()) {
            QObject::connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
            QObject::connect(socket, &QLocalSocket::readyRead, socket, [socket] {
                while (socket->canReadLine())
                    socket->write(socket->readLine());
            });
        }
    });

    if (::pipe(signalPipe) != 0)
        return 1;
    QSocketNotifier notifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, &app, &QCoreApplication::quit);
    std::signal(SIGTERM, onSignal);
    std::signal(SIGINT, onSignal);

    std::printf("ready\n");
    std::fflush(stdout);
    return app.exec();
}
