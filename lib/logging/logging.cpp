#include "logging.h"

Q_LOGGING_CATEGORY(lcConfig, "signet.config", QtInfoMsg)
Q_LOGGING_CATEGORY(lcAuth, "signet.auth", QtInfoMsg)
Q_LOGGING_CATEGORY(lcHttp, "signet.http", QtInfoMsg)
Q_LOGGING_CATEGORY(lcLoopback, "signet.loopback", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSession, "signet.session", QtInfoMsg)
Q_LOGGING_CATEGORY(lcIpc, "signet.ipc", QtInfoMsg)
Q_LOGGING_CATEGORY(lcAgent, "signet.agent", QtInfoMsg)
