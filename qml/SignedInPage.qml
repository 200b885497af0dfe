pragma ComponentBehavior: Bound

import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Signet.App

// Signed in: apps asking for consent first, then who is signed in, the apps with access, Sign out.
// Scrolls, so that it survives 200 % scaling and long translations in a small window.
ScrollView {
    id: page

    required property SessionController controller
    readonly property var capabilities: controller.capabilities

    contentWidth: availableWidth
    clip: true
    onVisibleChanged: if (visible) page.focusFirst()

    function focusFirst() {
        const prompt = consentRepeater.itemAt(0);
        if (prompt)
            prompt.focusAnswer();
        else
            signOutButton.forceActiveFocus();
    }

    Connections {
        target: page.controller
        function onConsentRequestsChanged() {
            if (page.visible)
                Qt.callLater(page.focusFirst);
        }
    }

    Theme {
        id: theme
        palette: page.palette
    }

    ColumnLayout {
        width: page.availableWidth
        spacing: 12

        Heading {
            text: qsTr("Signed in")
        }
        Repeater {
            id: consentRepeater
            model: page.controller.consentRequests
            delegate: ConsentPrompt {
                required property var modelData
                Layout.fillWidth: true
                controller: page.controller
                theme: theme
                consent: modelData
            }
        }
        AttentionBanner {
            Layout.fillWidth: true
            controller: page.controller
            theme: theme
        }
        IdentityCard {
            Layout.fillWidth: true
            controller: page.controller
            theme: theme
        }
        BodyText {
            objectName: "notice"
            text: page.controller.notice
            visible: text.length > 0
        }
        AppsList {
            objectName: "apps"
            Layout.fillWidth: true
            visible: page.capabilities.indexOf("apps") >= 0
            controller: page.controller
            theme: theme
        }
        Button {
            id: signOutButton
            objectName: "signOutButton"
            Layout.topMargin: 4
            text: qsTr("Sign out")
            onClicked: page.controller.signOut()
            Accessible.name: qsTr("Sign out")
        }
    }
}
