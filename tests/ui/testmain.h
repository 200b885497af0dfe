#pragma once

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

// Like QTEST_MAIN / QTEST_GUILESS_MAIN, but XDG_RUNTIME_DIR points at a private temporary directory
// before Qt starts (Qt itself reads it), so no test ever touches the real runtime directory.
#define SIGNET_TEST_MAIN_IMPL(TestObject, Application)                                                                 \
    int main(int argc, char *argv[])                                                                                   \
    {                                                                                                                  \
        QTemporaryDir runtime;                                                                                         \
        if (!runtime.isValid())                                                                                        \
            return 1;                                                                                                  \
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(runtime.path()));                                                 \
        Application app(argc, argv);                                                                                   \
        TestObject test;                                                                                               \
        QTEST_SET_MAIN_SOURCE_PATH                                                                                     \
        return QTest::qExec(&test, argc, argv);                                                                        \
    }

#define SIGNET_TEST_MAIN(TestObject) SIGNET_TEST_MAIN_IMPL(TestObject, QGuiApplication)
#define SIGNET_TEST_GUILESS_MAIN(TestObject) SIGNET_TEST_MAIN_IMPL(TestObject, QCoreApplication)

// What a file holds now; empty when it does not exist (yet). For QTRY_COMPARE on a file a launched
// script writes: the shell creates the file before anything is written to it, so its existence proves
// nothing.
inline QByteArray fileContents(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}
