import QtQuick
import QtQuick.Controls

// A role of the signed-in person, as a small rounded label.
Label {
    id: chip

    required property Theme theme

    leftPadding: 10
    rightPadding: 10
    topPadding: 3
    bottomPadding: 3
    color: theme.chipText
    font.pixelSize: 12
    background: Rectangle {
        radius: height / 2
        color: chip.theme.chip
    }
    Accessible.role: Accessible.StaticText
    Accessible.name: qsTr("Role: %1").arg(text)
}
