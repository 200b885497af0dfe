#pragma once

#include "config.h"

#include <QByteArray>
#include <QFileSystemWatcher>
#include <QObject>
#include <QTimer>

namespace Signet {

// Notices when the configuration files change, so policy applies without restarting the agent.
// Watches every file the sources name and their directories (editors and configuration
// management replace files rather than write into them; a file may also appear later), waits for
// the writes to settle, and emits changed() only when the files' contents really differ.
class ConfigWatcher : public QObject
{
    Q_OBJECT
public:
    explicit ConfigWatcher(const ConfigSources &sources, QObject *parent = nullptr);

    static constexpr int SettleMs = 300;

Q_SIGNALS:
    void changed();

private:
    void watch();
    QByteArray fingerprint() const;

    QStringList m_files;
    QFileSystemWatcher m_watcher;
    QTimer m_settle;
    QByteArray m_fingerprint;
};

} // namespace Signet
