import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Signet.App

// Shown while the first connection to the agent is being made.
ColumnLayout {
    required property SessionController controller

    spacing: 12

    Item {
        Layout.fillHeight: true
    }
    BusyIndicator {
        Layout.alignment: Qt.AlignHCenter
        running: visible
        Accessible.name: qsTr("Connecting to the Signet agent")
    }
    BodyText {
        horizontalAlignment: Text.AlignHCenter
        text: qsTr("Connecting to the Signet agent…")
    }
    Item {
        Layout.fillHeight: true
    }
}
