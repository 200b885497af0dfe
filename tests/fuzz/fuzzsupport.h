#pragma once

// What every fuzz target shares: a QCoreApplication, quiet logging, and a check that turns a broken
// invariant into a crash libFuzzer keeps as an input file.

#include <QByteArray>
#include <QCoreApplication>
#include <QString>
#include <QtGlobal>

#include <cstdio>
#include <cstdlib>

namespace SignetFuzz {

// Log lines are still formatted (that code runs too) but thrown away, unless SIGNET_FUZZ_VERBOSE=1
// asks to see them, which helps when replaying one crashing input.
inline void quietMessageHandler(QtMsgType, const QMessageLogContext &, const QString &)
{
}

inline void initialize(int *argc, char ***argv)
{
    if (qEnvironmentVariableIntValue("SIGNET_FUZZ_VERBOSE") == 0)
        qInstallMessageHandler(quietMessageHandler);
    // Socket notifiers and QSettings expect an application object; it lives until exit.
    static QCoreApplication *application = new QCoreApplication(*argc, *argv);
    Q_UNUSED(application);
}

[[noreturn]] inline void fail(const char *condition, const char *file, int line, const QString &detail)
{
    std::fprintf(stderr, "\n==== fuzz invariant broken: %s\n     at %s:%d\n", condition, file, line);
    if (!detail.isEmpty())
        std::fprintf(stderr, "     %s\n", detail.toUtf8().constData());
    std::fflush(stderr);
    std::abort();
}

// For messages: control characters and non-ASCII as escapes, so the report stays one readable line.
inline QString printable(const QByteArray &bytes, qsizetype max = 200)
{
    QString out;
    for (qsizetype i = 0; i < bytes.size() && i < max; ++i) {
        const auto c = static_cast<unsigned char>(bytes.at(i));
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out += QLatin1Char(char(c));
        else
            out += QStringLiteral("\\x%1").arg(c, 2, 16, QLatin1Char('0'));
    }
    if (bytes.size() > max)
        out += QStringLiteral("...(%1 bytes)").arg(bytes.size());
    return out;
}

} // namespace SignetFuzz

#define FUZZ_CHECK(condition, detail)                                                                          \
    do {                                                                                                       \
        if (!(condition))                                                                                      \
            ::SignetFuzz::fail(#condition, __FILE__, __LINE__, (detail));                                      \
    } while (false)
