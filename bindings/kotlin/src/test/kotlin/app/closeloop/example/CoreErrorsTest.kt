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
    is CoreException.PhotoTooLarge -> "This photo is too large, please take it with the camera: ${e.reason}"
    is CoreException.PhotoDamaged -> "Please take the photo again: ${e.reason}"
    is CoreException.PhotoUnsupported -> "Please choose a JPEG or PNG photo: ${e.reason}"
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
    fun `damaged, foreign and oversized photos are told apart`() = runBlocking<Unit> {
        openWorkspace(dir.path, inspector(), UTC_PLUS_8).use { ws ->
            val inspectionId = inspectionWithFailedExit(ws)
            // A JPEG header and nothing after it, as a camera app killed mid-write leaves it.
            val jpegStart = byteArrayOf(0xFF.toByte(), 0xD8.toByte(), 0xFF.toByte(), 0xE0.toByte())
            val corrupt = File(dir, "broken.jpg").apply { writeBytes(jpegStart + "truncated".toByteArray()) }
            val damaged = assertFailsWith<CoreException.PhotoDamaged> {
                ws.attachPhoto(inspectionId, null, corrupt.path)
            }
            assertTrue(damaged.reason.isNotBlank())
            assertTrue(userMessage(damaged).startsWith("Please take the photo again"))

            val gif = File(dir, "meme.gif").apply { writeBytes("GIF89a".toByteArray() + ByteArray(16)) }
            val foreign = assertFailsWith<CoreException.PhotoUnsupported> {
                ws.attachPhoto(inspectionId, null, gif.path)
            }
            assertTrue(foreign.reason.contains("GIF"))

            // A PNG header claiming 100,000 × 100,000 pixels: refused from the header alone.
            val huge = File(dir, "huge.png").apply { writeBytes(pngHeader(100_000, 100_000)) }
            val tooLarge = assertFailsWith<CoreException.PhotoTooLarge> {
                ws.attachPhoto(inspectionId, null, huge.path)
            }
            assertEquals(100_000u, tooLarge.width)
            assertEquals(100_000u, tooLarge.height)
            assertTrue(tooLarge.reason.isNotBlank())
        }
    }

    /** A PNG signature and IHDR chunk (8-bit RGB) and nothing else. */
    private fun pngHeader(width: Int, height: Int): ByteArray {
        val ihdr = java.nio.ByteBuffer.allocate(25)
            .putInt(13).put("IHDR".toByteArray()).putInt(width).putInt(height)
            .put(byteArrayOf(8, 2, 0, 0, 0)).putInt(0)
        val signature = byteArrayOf(0x89.toByte(), 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A)
        return signature + ihdr.array()
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
