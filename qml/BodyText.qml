import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// A paragraph that wraps to the page's width.
Label {
    Layout.fillWidth: true
    wrapMode: Text.Wrap
    Accessible.name: text
}
