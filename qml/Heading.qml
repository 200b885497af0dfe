import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// A page's title.
Label {
    Layout.fillWidth: true
    font.pixelSize: 20
    font.bold: true
    wrapMode: Text.Wrap
    Accessible.role: Accessible.Heading
    Accessible.name: text
}
