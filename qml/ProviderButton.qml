import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// One provider's sign-in button as IT presents it: its logo, text and colours (the `providers`
// answer; controller.providers[i]). Without colours it looks like any other button of the style.
Button {
    id: button

    // {id, displayName, buttonText, logo, backgroundColor, textColor, available, problem}
    required property var provider

    readonly property bool branded: (provider.backgroundColor || "").length > 0
    readonly property color textColor: branded && provider.textColor ? provider.textColor : palette.buttonText

    objectName: "provider-" + provider.id
    enabled: provider.available
    text: provider.buttonText || qsTr("Sign in with %1").arg(provider.displayName)
    implicitHeight: Math.max(44, contentItem.implicitHeight + topPadding + bottomPadding)
    padding: 10
    leftPadding: 14
    rightPadding: 14
    Accessible.role: Accessible.Button
    Accessible.name: text
    Accessible.description: provider.problem || ""
    ToolTip.visible: hovered && (provider.problem || "").length > 0
    ToolTip.text: provider.problem || ""

    contentItem: RowLayout {
        spacing: 10
        Image {
            objectName: "logo"
            source: button.provider.logo || ""
            visible: status === Image.Ready
            sourceSize.width: 24
            sourceSize.height: 24
            Layout.preferredWidth: 24
            Layout.preferredHeight: 24
            Layout.alignment: Qt.AlignVCenter
            fillMode: Image.PreserveAspectFit
            Accessible.ignored: true
        }
        Label {
            objectName: "label"
            text: button.text
            color: button.textColor
            font: button.font
            wrapMode: Text.Wrap
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignLeft
            verticalAlignment: Text.AlignVCenter
            Accessible.ignored: true
        }
    }
    background: Rectangle {
        objectName: "background"
        radius: 6
        color: {
            const base = button.branded ? button.provider.backgroundColor : button.palette.button;
            return button.down ? Qt.darker(base, 1.15) : button.hovered ? Qt.lighter(base, 1.08) : base;
        }
        border.width: button.visualFocus ? 3 : 1
        border.color: button.visualFocus ? button.palette.highlight : Qt.darker(color, 1.3)
        opacity: button.enabled ? 1 : 0.45
    }
}
