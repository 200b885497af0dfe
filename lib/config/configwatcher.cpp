#include "configwatcher.h"

#include "logging/logging.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>

namespace Signet {

ConfigWatcher::ConfigWatcher(const ConfigSources &sources, QObject *parent)
    : QObject(parent)
    , m_files(sources.systemFiles)
{
    if (!sources.userFile.isEmpty())
        m_files << sources.userFile;
    m_settle.setSingleShot(true);
    m_settle.setInterval(SettleMs);
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, &m_settle, qOverload<>(&QTimer::start));
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, &m_settle, qOverload<>(&QTimer::start));
    connect(&m_settle, &QTimer::timeout, this, [this] {
        watch(); // a replaced file is a new file to the watcher
        const QByteArray now = fingerprint();
        if (now == m_fingerprint)
            return;
        m_fingerprint = now;
        qCInfo(lcConfig) << "the configuration files changed";
        Q_EMIT changed();
    });
    watch();
    m_fingerprint = fingerprint();
}

void ConfigWatcher::watch()
{
    for (const QString &file : std::as_const(m_files)) {
        const QFileInfo info(file);
        if (info.exists() && !m_watcher.files().contains(info.absoluteFilePath()))
            m_watcher.addPath(info.absoluteFilePath());
        const QString directory = info.absolutePath();
        if (QFileInfo(directory).isDir() && !m_watcher.directories().contains(directory))
            m_watcher.addPath(directory);
    }
}

QByteArray ConfigWatcher::fingerprint() const
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    for (const QString &path : m_files) {
        QFile file(path);
        hash.addData(path.toUtf8());
        if (file.open(QIODevice::ReadOnly))
            hash.addData(file.read(1024 * 1024 + 1));
        else
            hash.addData("<absent>");
    }
    return hash.result();
}

} // namespace Signet
