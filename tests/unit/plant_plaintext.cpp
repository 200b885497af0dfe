// Writes an entry into QtKeychain's plaintext store exactly as QtKeychain does (plaintextstore.cpp:
// QSettings(service), "<key>/type" and "<key>/data"), for tests/standins/keychain.test.mjs, which checks
// that Signet never reads such a planted value back.
//
//   signet-plant-plaintext SERVICE KEY < DATA

#include <QCoreApplication>
#include <QFile>
#include <QSettings>

#include <cstdio>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    if (argc != 3) {
        std::fputs("usage: signet-plant-plaintext SERVICE KEY < DATA\n", stderr);
        return 2;
    }
    QFile input;
    if (!input.open(stdin, QIODevice::ReadOnly))
        return 1;
    QSettings settings(QString::fromLocal8Bit(argv[1]));
    const QString key = QString::fromLocal8Bit(argv[2]);
    settings.setValue(key + QStringLiteral("/type"), QStringLiteral("Binary"));
    settings.setValue(key + QStringLiteral("/data"), input.readAll());
    settings.sync();
    std::printf("%s\n", qPrintable(settings.fileName()));
    return settings.status() == QSettings::NoError ? 0 : 1;
}
