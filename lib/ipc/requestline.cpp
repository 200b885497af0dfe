#include "requestline.h"

namespace Signet::RequestLine {

namespace {

class Reader
{
public:
    explicit Reader(QByteArrayView line)
        : m_at(line.data())
        , m_end(line.data() + line.size())
    {
    }

    void skipSpace()
    {
        while (m_at < m_end && (*m_at == ' ' || *m_at == '\t' || *m_at == '\n' || *m_at == '\r'))
            ++m_at;
    }
    bool take(char c)
    {
        skipSpace();
        if (m_at == m_end || *m_at != c)
            return false;
        ++m_at;
        return true;
    }
    bool atEnd()
    {
        skipSpace();
        return m_at == m_end;
    }
    // A string of printable ASCII without escapes; the view excludes the quotes.
    bool plainString(QByteArrayView *text)
    {
        if (!take('"'))
            return false;
        const char *start = m_at;
        while (m_at < m_end && *m_at != '"') {
            const auto c = static_cast<unsigned char>(*m_at);
            if (c < 0x20 || c >= 0x7f || c == '\\')
                return false;
            ++m_at;
        }
        if (m_at == m_end)
            return false;
        *text = QByteArrayView(start, m_at - start);
        ++m_at;
        return true;
    }
    // 0 or [1-9][0-9]{0,14}: exact in a double, as the full reader would keep it.
    bool smallInteger(qint64 *value)
    {
        skipSpace();
        const char *start = m_at;
        qint64 number = 0;
        while (m_at < m_end && *m_at >= '0' && *m_at <= '9') {
            if (m_at - start == 15)
                return false; // longer numbers are the full reader's (and would overflow here)
            number = number * 10 + (*m_at - '0');
            ++m_at;
        }
        const qsizetype digits = m_at - start;
        if (digits == 0 || (digits > 1 && *start == '0'))
            return false;
        // A fraction or an exponent is the full reader's business.
        if (m_at < m_end && (*m_at == '.' || *m_at == 'e' || *m_at == 'E'))
            return false;
        *value = number;
        return true;
    }
    bool literal(QByteArrayView word)
    {
        skipSpace();
        if (m_end - m_at < word.size() || QByteArrayView(m_at, word.size()) != word)
            return false;
        m_at += word.size();
        return true;
    }
    bool peek(char c)
    {
        skipSpace();
        return m_at < m_end && *m_at == c;
    }

private:
    const char *m_at;
    const char *m_end;
};

} // namespace

bool readSimple(QByteArrayView line, QJsonValue *id, QString *method)
{
    Reader reader(line);
    if (!reader.take('{'))
        return false;
    bool haveId = false, haveMethod = false, haveParams = false;
    do {
        QByteArrayView key;
        if (!reader.plainString(&key) || !reader.take(':'))
            return false;
        if (key == "id" && !haveId) {
            haveId = true;
            QByteArrayView text;
            qint64 number = 0;
            if (reader.peek('"')) {
                if (!reader.plainString(&text))
                    return false;
                *id = QJsonValue(QString::fromLatin1(text));
            } else if (reader.smallInteger(&number)) {
                *id = QJsonValue(number);
            } else {
                return false;
            }
        } else if (key == "method" && !haveMethod) {
            haveMethod = true;
            QByteArrayView text;
            if (!reader.plainString(&text))
                return false;
            *method = QString::fromLatin1(text);
        } else if (key == "params" && !haveParams) {
            haveParams = true;
            if (!reader.literal("null") && !(reader.take('{') && reader.take('}')))
                return false;
        } else {
            return false; // another key, or one seen twice: the full reader decides
        }
    } while (reader.take(','));
    return reader.take('}') && reader.atEnd() && haveId && haveMethod;
}

void appendId(QByteArray &out, const QJsonValue &id)
{
    if (id.isDouble()) {
        // Ids are integers (IpcConnection checks); toInteger() keeps all 53 bits.
        out += QByteArray::number(id.toInteger());
        return;
    }
    if (!id.isString()) {
        out += "null";
        return;
    }
    static const char hex[] = "0123456789abcdef";
    out += '"';
    for (const char c : id.toString().toUtf8()) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            out += "\\u00";
            out += hex[u >> 4];
            out += hex[u & 0xf];
        } else {
            out += c;
        }
    }
    out += '"';
}

} // namespace Signet::RequestLine
