import QtQuick
import QtQuick.Controls
import QtTest
import Signet.App
import Signet.Test

// Whole screens against the fake agent: the sign-in screen builds its buttons from the agent's
// providers, a click starts a sign-in, and a refusal is rendered on the failure screen; the identity
// card shows the agent's picture of the person; a session that cannot be renewed says so.
Item {
    id: root
    width: 460
    height: 600

    Component {
        id: agentComponent
        FakeAgent {
            autoRespond: true
        }
    }
    Component {
        id: controllerComponent
        SessionController {
            openBrowser: false
        }
    }
    Component {
        id: signInComponent
        SignInPage {
            width: 400
        }
    }
    Component {
        id: failureComponent
        FailurePage {
            width: 400
        }
    }

    Component {
        id: cardComponent
        IdentityCard {
            width: 400
            theme: Theme { palette: root.palette }
        }
    }
    Component {
        id: bannerComponent
        AttentionBanner {
            width: 400
            theme: Theme { palette: root.palette }
        }
    }

    TestCase {
        name: "Screens"
        when: windowShown

        function connectedController(providers, extra) {
            const agent = createTemporaryObject(agentComponent, root);
            agent.setProviders(providers);
            agent.setProvidersExtra(extra || {});
            const path = agent.freshSocketPath();
            verify(agent.listen(path));
            const controller = createTemporaryObject(controllerComponent, root, {socketPath: path});
            tryCompare(controller, "agentState", SessionController.Ready);
            return {agent: agent, controller: controller};
        }

        // Temporary objects go in the order they were made: the pages before their controller.
        function closeBeforeTheController(pages) {
            for (const page of pages)
                page.destroy();
            wait(0);
        }

        function provider(id, name, extra) {
            return Object.assign({id: id, type: "oidc", display_name: name, available: true, problem: null}, extra || {});
        }

        function test_buttonsFromTheProviders() {
            const world = connectedController([
                provider("entra", "Microsoft", {logo: "microsoft", button_text: "Sign in with your work account", background_color: "#2f2f2f", text_color: "#ffffff"}),
                provider("broken", "Broken", {available: false, problem: "issuer is missing"}),
                provider("demo", "Demo"),
            ], {message: "Use your @example.com account."});
            const page = createTemporaryObject(signInComponent, root, {controller: world.controller});
            const entra = findChild(page, "provider-entra");
            const broken = findChild(page, "provider-broken");
            const demo = findChild(page, "provider-demo");
            verify(entra && broken && demo);
            compare(entra.text, "Sign in with your work account");
            compare(demo.text, "Sign in with Demo");
            verify(!broken.enabled);
            verify(entra.y < broken.y || entra.parent.y < broken.parent.y); // configured order
            verify(findChild(page, "itMessage").visible);

            mouseClick(demo);
            tryVerify(() => world.agent.count("signin") === 1);
            closeBeforeTheController([page]);
        }

        // Alice, signed in before the window connects (whoami answers her).
        function signedInController(identityExtra) {
            const agent = createTemporaryObject(agentComponent, root);
            agent.setProviders([provider("demo", "Demo")]);
            agent.setIdentity(Object.assign(agent.sampleIdentity("demo", "Alice Example", "alice@example.com", 3600), identityExtra || {}));
            return agent;
        }
        function connectTo(agent) {
            const path = agent.freshSocketPath();
            verify(agent.listen(path));
            const controller = createTemporaryObject(controllerComponent, root, {socketPath: path});
            tryCompare(controller, "state", SessionController.SignedIn);
            return controller;
        }

        // A 16×16 PNG, as the agent's avatar method hands it out (base64).
        readonly property string png: "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAFklEQVR4nGM4YaNBEmIY1TCqYfhqAAAeBCwQMwPSngAAAABJRU5ErkJggg=="

        function test_avatarReplacesTheInitials() {
            const agent = signedInController({has_avatar: true});
            agent.setAvatar("image/png", png);
            const controller = connectTo(agent);
            const card = createTemporaryObject(cardComponent, root, {controller: controller});
            const picture = findChild(card, "picture");
            tryCompare(picture, "status", Image.Ready);
            verify(picture.visible);
            verify(!findChild(card, "initials").visible);
            compare(findChild(card, "avatar").Accessible.name, "Picture of Alice Example");
            compare(agent.count("avatar"), 1);
            closeBeforeTheController([card]);
        }

        // Without a picture (or with one the agent cannot vouch for) the initials stay.
        function test_noAvatarKeepsTheInitials() {
            const agent = signedInController({has_avatar: false});
            agent.setAvatar("image/png", png);
            const controller = connectTo(agent);
            const card = createTemporaryObject(cardComponent, root, {controller: controller});
            wait(200);
            compare(agent.count("avatar"), 0);
            verify(findChild(card, "picture").status !== Image.Ready);
            verify(findChild(card, "initials").visible);
            compare(findChild(card, "initials").text, "AE");
            compare(findChild(card, "avatar").Accessible.name, "Initials of Alice Example");
            closeBeforeTheController([card]);
        }

        // "expiring": the session ends soon and cannot be renewed silently. The banner and the card say
        // so, and the banner offers to sign in again with the same provider.
        function test_expiringSessionSaysSignInAgain() {
            const agent = signedInController();
            const controller = connectTo(agent);
            const banner = createTemporaryObject(bannerComponent, root, {controller: controller});
            const card = createTemporaryObject(cardComponent, root, {controller: controller, y: 300}); // below the banner
            verify(!banner.visible);
            compare(findChild(card, "renewal").text, "Renews automatically while you work.");

            const identity = agent.sampleIdentity("demo", "Alice Example", "alice@example.com", 290);
            agent.emitEvent("expiring", {identity: identity, expires_in: 290});
            tryVerify(() => banner.visible);
            compare(findChild(banner, "attentionMessage").text,
                    "Your session ends soon and cannot be renewed automatically. Sign in again to keep working.");
            compare(banner.Accessible.name, findChild(banner, "attentionMessage").text);
            compare(findChild(card, "renewal").text, "It cannot be renewed without you: sign in again before it ends.");
            const again = findChild(banner, "signInAgainButton");
            compare(again.Accessible.name, "Sign in again with Demo");
            mouseClick(again);
            tryVerify(() => agent.count("signin") === 1);
            compare(agent.lastRequestParams("signin").provider, "demo");
            closeBeforeTheController([banner, card]);
        }

        function test_signInThenRefusal() {
            const world = connectedController([provider("demo", "Demo")]);
            const page = createTemporaryObject(signInComponent, root, {controller: world.controller});
            mouseClick(findChild(page, "provider-demo"));
            tryVerify(() => world.agent.count("signin") === 1);
            compare(world.agent.lastRequestParams("signin").provider, "demo");
            compare(world.controller.state, SessionController.SigningIn);
            verify(!findChild(page, "provider-demo").enabled); // no second sign-in while one runs

            world.agent.replyError(world.agent.lastRequestId("signin"), "policy_refused",
                                   "bob@gmail.com is not in the allowed domains. Ask the service desk: https://help.example.com");
            tryCompare(world.controller, "state", SessionController.Failed);
            const failure = createTemporaryObject(failureComponent, root, {controller: world.controller});
            compare(findChild(failure, "errorSummary").text, "Your organisation does not allow this account to sign in here.");
            verify(findChild(failure, "errorAdvice").text.indexOf("work account") >= 0);
            verify(findChild(failure, "errorMessage").text.indexOf("https://help.example.com") >= 0);

            // Back, and the buttons are usable again.
            mouseClick(findChild(failure, "backButton"));
            tryCompare(world.controller, "state", SessionController.SignedOut);
            verify(findChild(page, "provider-demo").enabled);
            closeBeforeTheController([page, failure]);
        }
    }
}
