// Placeholder: the sync client and server are being written under the sync issue.
package app.closeloop.example

import org.junit.jupiter.api.Disabled
import org.junit.jupiter.api.Test

class SyncTest {
    @Test
    @Disabled(
        "Comes with the sync issue: a suspend sync against a real server started by the test " +
            "harness, with the progress listener called. The sync API does not exist yet.",
    )
    fun `sync pushes local work to a real server and reports progress`() {
        // To write with the sync API: start the server on port 0, open a workspace, create a site,
        // raise a hazard, call the suspend sync with a progress listener, assert the listener saw
        // progress and the server holds the hazard, then sync a second workspace and see it there.
    }
}
