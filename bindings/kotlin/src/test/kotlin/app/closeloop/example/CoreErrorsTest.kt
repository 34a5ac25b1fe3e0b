// Failures reach Kotlin as the sealed CoreException, one subclass per thing the app does
// differently, with the fields it needs to react.
package app.closeloop.example

import app.closeloop.core.Answer
import app.closeloop.core.CoreException
import app.closeloop.core.HazardAction
import app.closeloop.core.InspectionPurpose
import app.closeloop.core.Workspace
import app.closeloop.core.openWorkspace
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

/** What an app shows for each failure: `when` is exhaustive over the sealed CoreException. */
fun userMessage(e: CoreException): String = when (e) {
    is CoreException.NotAllowed -> e.reason
    is CoreException.InvalidInput -> "${e.field}: ${e.reason}"
    is CoreException.NotFound -> "This ${e.what} no longer exists"
    is CoreException.PhotoRejected -> "Please take another photo: ${e.reason}"
    is CoreException.WorkspaceInUse -> "Closeloop is open in another window"
    is CoreException.Storage -> "The phone's storage failed (${e.detail})"
    is CoreException.LoginRequired -> "Please log in again: ${e.reason}"
    is CoreException.Network -> "No connection to the server, try again later"
}

class CoreErrorsTest {
    @TempDir
    lateinit var dir: File

    private suspend fun inspectionWithFailedExit(ws: Workspace): String {
        val site = ws.createSite(restaurant())
        val inspectionId = ws.startInspection(site.id, InspectionPurpose.PATROL)
        ws.answerItem(inspectionId, "fire-law.exits-clear", Answer.Fail, "")
        return inspectionId
    }

    @Test
    fun `a corrupt photo is rejected`() = runBlocking<Unit> {
        openWorkspace(dir.path, inspector(), UTC_PLUS_8).use { ws ->
            val inspectionId = inspectionWithFailedExit(ws)
            // A JPEG header and nothing after it, as a camera app killed mid-write leaves it.
            val jpegStart = byteArrayOf(0xFF.toByte(), 0xD8.toByte(), 0xFF.toByte(), 0xE0.toByte())
            val corrupt = File(dir, "broken.jpg").apply { writeBytes(jpegStart + "truncated".toByteArray()) }
            val e = assertFailsWith<CoreException.PhotoRejected> {
                ws.attachPhoto(inspectionId, null, corrupt.path)
            }
            assertTrue(e.reason.isNotBlank())
            assertTrue(userMessage(e).startsWith("Please take another photo"))
        }
    }

    @Test
    fun `an inspector cannot accept a rectification`() = runBlocking<Unit> {
        openWorkspace(dir.path, inspector(), UTC_PLUS_8).use { ws ->
            val hazard = ws.raiseHazard(inspectionWithFailedExit(ws), "fire-law.exits-clear", "", emptyList())
            val e = assertFailsWith<CoreException.NotAllowed> {
                ws.actOnHazard(hazard.summary.id, HazardAction.Accept, "", emptyList())
            }
            assertEquals("hazard.accept.supervisor_only", e.rule)
            assertTrue(e.reason.isNotBlank())
            // A step the inspector may take goes through and shows on the timeline.
            val commented = ws.actOnHazard(hazard.summary.id, HazardAction.Comment, "已通知店主", emptyList())
            assertEquals(listOf("reported", "commented"), commented.timeline.map { it.kind })
        }
    }

    @Test
    fun `wrong input, missing records and a second open are told apart`() = runBlocking<Unit> {
        val folder = File(dir, "ws").path
        openWorkspace(folder, inspector(), UTC_PLUS_8).use { ws ->
            val half = assertFailsWith<CoreException.InvalidInput> {
                ws.createSite(restaurant(latitude = 30.6, longitude = null))
            }
            assertEquals("location", half.field)

            val missing = assertFailsWith<CoreException.NotFound> { ws.inspection("insp-nope") }
            assertEquals("insp-nope", missing.id)

            assertFailsWith<CoreException.WorkspaceInUse> { openWorkspace(folder, inspector(), UTC_PLUS_8) }

            // Every failure is a CoreException, so one catch covers the whole API.
            val caught = try {
                ws.answerItem("insp-nope", "fire-law.exits-clear", Answer.Pass, "")
                null
            } catch (e: CoreException) {
                e
            }
            assertTrue(caught is CoreException.NotFound)
        }
    }
}
