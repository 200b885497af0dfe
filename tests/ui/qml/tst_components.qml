import QtQuick
import QtQuick.Controls
import QtTest
import Signet.App

// The signed-in screen's parts: the theme follows the palette (dark mode), the identity card's
// wording, a consent prompt, role chips. The controller here talks to no agent.
Item {
    id: root
    width: 480
    height: 600

    SessionController {
        id: session
        socketPath: "/nonexistent/agent.sock"
        openBrowser: false
    }

    Component {
        id: themeComponent
        Theme {}
    }
    Component {
        id: cardComponent
        IdentityCard {
            width: 400
            controller: session
            theme: Theme { palette: root.palette }
        }
    }
    Component {
        id: consentComponent
        ConsentPrompt {
            width: 400
            controller: session
            theme: Theme { palette: root.palette }
        }
    }
    Component {
        id: chipComponent
        RoleChip {
            theme: Theme { palette: root.palette }
        }
    }
    Component {
        id: paletteHolder
        Item {
            palette.window: "#1e1e1e"
            palette.windowText: "#eeeeee"
        }
    }

    TestCase {
        name: "Components"
        when: windowShown

        function test_themeFollowsThePalette() {
            const light = createTemporaryObject(themeComponent, root, {palette: root.palette});
            verify(!light.dark);
            const darkItem = createTemporaryObject(paletteHolder, root);
            const dark = createTemporaryObject(themeComponent, root, {palette: darkItem.palette});
            verify(dark.dark);
            verify(dark.chip.hslLightness < 0.5);
            verify(light.chip.hslLightness > 0.5);
            verify(dark.warningText.hslLightness > 0.5); // readable on the dark banner
        }

        function test_timeLeft_data() {
            return [
                {tag: "unknown", seconds: -1, text: ""},
                {tag: "expired", seconds: 0, text: "The session has expired."},
                {tag: "seconds", seconds: 42, text: "Session ends in less than a minute."},
                {tag: "minutes", seconds: 12 * 60 + 5, text: "Session ends in 12 min."},
                {tag: "hours", seconds: 3 * 3600 + 5 * 60, text: "Session ends in 3 h 5 min."},
            ];
        }

        function test_timeLeft(data) {
            const card = createTemporaryObject(cardComponent, root);
            compare(card.timeLeft(data.seconds), data.text);
        }

        function test_initials_data() {
            return [
                {tag: "two words", name: "Alice Example", initials: "AE"},
                {tag: "three words", name: "Anna Maria Schmidt", initials: "AS"},
                {tag: "one word", name: "bob", initials: "B"},
                {tag: "e-mail", name: "carol@example.net", initials: "C"},
                {tag: "nothing", name: "", initials: "?"},
                {tag: "spaces", name: "  ", initials: "?"},
            ];
        }

        function test_initials(data) {
            const card = createTemporaryObject(cardComponent, root);
            compare(card.initials(data.name), data.initials);
        }

        function test_cardWithoutIdentityShowsInitials() {
            const card = createTemporaryObject(cardComponent, root);
            verify(findChild(card, "initials").visible);
            verify(!findChild(card, "picture").visible);
            compare(findChild(card, "renewal").text, "Renews automatically while you work.");
        }

        function test_consentPrompt() {
            const prompt = createTemporaryObject(consentComponent, root, {
                consent: {request: "c1", appId: "exe:/usr/bin/foo", name: "foo", exe: "/usr/bin/foo", script: "", scopes: ["openid", "email"]}
            });
            compare(findChild(prompt, "consentQuestion").text, "foo wants to use your work identity");
            compare(findChild(prompt, "consentDetails").text, "Program: /usr/bin/foo\nAccess: openid email");
            verify(findChild(prompt, "consentRemember").checked);
            compare(findChild(prompt, "consentAllow").Accessible.name, "Allow foo to use your work identity");
            prompt.focusAnswer();
            verify(findChild(prompt, "consentAllow").activeFocus);
            // An interpreter's script is named with its interpreter.
            prompt.consent = {request: "c2", appId: "script:/opt/x.py", name: "x.py", exe: "/usr/bin/python3", script: "/opt/x.py", scopes: []};
            compare(findChild(prompt, "consentDetails").text, "Program: /opt/x.py (run by /usr/bin/python3)");
        }

        function test_roleChip() {
            const chip = createTemporaryObject(chipComponent, root, {text: "admin"});
            compare(chip.Accessible.name, "Role: admin");
            verify(chip.implicitWidth > chip.contentWidth);
        }
    }
}
