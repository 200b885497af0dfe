#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonValue>
#include <QString>

namespace Signet::RequestLine {

// The requests companion apps send most — {"id":7,"method":"token"}, optionally with
// "params":{} — read without building a QJsonDocument. Accepts only a strict subset of JSON: an
// object with the keys id (a non-negative integer of at most 15 digits, or a string without escapes
// or non-ASCII characters), method (such a string) and optionally params (an empty object or
// null), each once, with JSON whitespace between. Anything else returns false and the caller
// parses the line with QJsonDocument, so the answer never depends on which reader ran.
bool readSimple(QByteArrayView line, QJsonValue *id, QString *method);

// Appends `id` as JSON: an integer or a string (escaped as JSON requires).
void appendId(QByteArray &out, const QJsonValue &id);

} // namespace Signet::RequestLine
