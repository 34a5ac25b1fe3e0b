// What an app has before it calls the core: the signed-in user, a site survey, a camera file.
package app.closeloop.example

import app.closeloop.core.GasSupply
import app.closeloop.core.HazardLevel
import app.closeloop.core.Jurisdiction
import app.closeloop.core.NewSite
import app.closeloop.core.PremisesType
import app.closeloop.core.SiteProfile
import app.closeloop.core.UserIdentity
import app.closeloop.core.UserRole
import java.awt.Color
import java.awt.GradientPaint
import java.awt.image.BufferedImage
import java.io.File
import javax.imageio.ImageIO

const val GRID = "grid-1"

/** China Standard Time, as the app would read it from the device. */
const val UTC_PLUS_8 = 8 * 60

fun inspector(id: String = "wang") = UserIdentity(
    userId = id,
    displayName = "王网格员",
    role = UserRole.INSPECTOR,
    orgId = "org-1",
    gridIds = listOf(GRID),
    siteIds = emptyList(),
    deviceId = "$id-phone",
)

/** The 300 m² Sichuan restaurant cooking on bottled LPG from checklists/profiles/restaurant-lpg.toml. */
fun restaurantProfile() = SiteProfile(
    jurisdiction = Jurisdiction.CHINA,
    premises = PremisesType.RESTAURANT,
    floorAreaM2 = 300.0,
    storeys = 1u,
    buildingHeightM = 5.0,
    belowGround = false,
    occupants = 120u,
    sleepers = 0u,
    publicGatheringPlace = true,
    keyFireSafetyUnit = false,
    publicInstitution = false,
    gas = GasSupply.LPG,
    kitchen = true,
    ebikeParking = false,
    ebikeCharging = false,
    flammableGoods = false,
    mixedLiving = false,
    hydrants = true,
    sprinklers = false,
    fireAlarm = false,
    hazardLevel = HazardLevel.MEDIUM,
)

fun restaurant(latitude: Double? = 30.657, longitude: Double? = 104.066) = NewSite(
    gridId = GRID,
    name = "川菜馆",
    address = "成都市锦江区春熙路 1 号",
    latitude = latitude,
    longitude = longitude,
    profile = restaurantProfile(),
)

/** A real JPEG, as the camera would leave it. */
fun cameraJpeg(dir: File, name: String, width: Int, height: Int): File {
    val image = BufferedImage(width, height, BufferedImage.TYPE_INT_RGB)
    image.createGraphics().apply {
        paint = GradientPaint(0f, 0f, Color(200, 40, 30), width.toFloat(), height.toFloat(), Color(30, 60, 200))
        fillRect(0, 0, width, height)
        color = Color.WHITE
        drawString("EXIT", width / 3, height / 2)
        dispose()
    }
    val file = File(dir, name)
    check(ImageIO.write(image, "jpg", file)) { "no JPEG writer" }
    return file
}
