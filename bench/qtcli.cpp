// signet-bench-qtcli: a whole-process floor of the IPC benchmark (bench/README.md): the least a Qt-linked
// command line can do — start QCoreApplication, connect with QLocalSocket, send one line, read one reply line.
// What signetctl (plain C) would cost at best if it were written with Qt.
//
//   signet-bench-qtcli SOCKET REQUEST     prints the reply's size in bytes, never the reply (it may hold a token)

#include <QCoreApplication>
#include <QLocalSocket>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 3) {
        std::fprintf(stderr, "usage: signet-bench-qtcli SOCKET REQUEST\n");
        return 2;
    }
    QLocalSocket socket;
    socket.connectToServer(QString::fromLocal8Bit(argv[1]));
    if (!socket.waitForConnected(5000)) {
        std::fprintf(stderr, "signet-bench-qtcli: cannot connect to %s: %s\n", argv[1],
                     qPrintable(socket.errorString()));
        return 1;
    }
    socket.write(QByteArray(argv[2]) + '\n');
    while (!socket.canReadLine()) {
        if (!socket.waitForReadyRead(5000)) {
            std::fprintf(stderr, "signet-bench-qtcli: no reply: %s\n", qPrintable(socket.errorString()));
            return 1;
        }
    }
    std::printf("%lld\n", static_cast<long long>(socket.readLine().size()));
    return 0;
}
