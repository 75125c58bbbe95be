"""The five orchard conditions: how often each occurs and how it looks.

The training pool is skewed (most images sunny with red apples, a few percent dusk or dense
close-ups); the test split covers every condition equally. That skew is what makes the choice of
images to label matter: a random pick rarely finds the rare conditions a grower's detector must
still handle.
"""

from __future__ import annotations

from dataclasses import dataclass

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class AppleVariety:
    """A kind of apple skin: a main (blush) colour over a ground colour.

    Attributes:
        weight: Relative frequency of the variety in its condition.
        main: Blush colour, 0-255 per channel.
        ground: Ground colour showing where the blush is thin.
        blush: Range of the blush fraction, each apple draws one value in it.
    """

    weight: float
    main: RGB
    ground: RGB
    blush: tuple[float, float]


@dataclass(frozen=True)
class Condition:
    """Everything that differs between conditions, as drawing parameters.

    Attributes:
        name: Short id written to the metadata.
        train_share: Fraction of training images in this condition.
        description: One line for the documentation.
        zoom: Range of the camera zoom (1 = MinneApple's usual distance to the trees).
        canopy_top: Range of the canopy's upper edge, as a fraction of the image height
            (negative: the canopy fills the top of the frame, no sky).
        canopy_bottom: Range of the canopy's lower edge, as a fraction of the height.
        load: Range of apple clusters per 100,000 square units of canopy.
        bare_share: Chance that a scene's trees carry no apples at all (already picked).
        sky_top: Sky colour at the top of the frame.
        sky_horizon: Sky colour at the horizon.
        far_trees: Colour of the distant tree rows.
        grass: Colour of the grass.
        soil: Colour of the bare soil under the trees.
        leaf_dark: Darkest leaf colour (deep in the canopy).
        leaf_light: Lightest leaf colour (sun-lit outer leaves).
        varieties: The apple varieties seen in this condition.
        light: Direction towards the light, (x right, y down, z to the camera), unit length.
        ambient: Light reaching every surface.
        diffuse: Strength of the directional light.
        specular: Strength of the highlight on apples.
        rim: Strength of the back-light rim on apples (dusk).
        dapple: How strongly sun flecks vary the brightness of the foliage (0 = flat).
        gain: Per-channel colour gain of the final image.
        contrast: Contrast around mid-grey of the final image.
        haze: Colour of the haze veiling the final image.
        haze_amount: How much haze (0 = none).
        sun_glow: Strength of a low sun's glow in the sky (0 = none).
    """

    name: str
    train_share: float
    description: str
    zoom: tuple[float, float]
    canopy_top: tuple[float, float]
    canopy_bottom: tuple[float, float]
    load: tuple[float, float]
    bare_share: float
    sky_top: RGB
    sky_horizon: RGB
    far_trees: RGB
    grass: RGB
    soil: RGB
    leaf_dark: RGB
    leaf_light: RGB
    varieties: tuple[AppleVariety, ...]
    light: RGB
    ambient: float
    diffuse: float
    specular: float
    rim: float
    dapple: float
    gain: RGB
    contrast: float
    haze: RGB
    haze_amount: float
    sun_glow: float


_RED = AppleVariety(1.0, (168, 22, 24), (196, 150, 60), (0.65, 1.0))
_STREAKED = AppleVariety(1.0, (150, 30, 30), (170, 160, 70), (0.35, 0.75))
_YELLOW_GREEN = AppleVariety(1.0, (196, 190, 70), (150, 168, 60), (0.0, 0.3))
_GREEN = AppleVariety(1.0, (118, 152, 48), (98, 136, 44), (0.0, 0.2))


def _weighted(variety: AppleVariety, weight: float) -> AppleVariety:
    return AppleVariety(weight, variety.main, variety.ground, variety.blush)


CONDITIONS: tuple[Condition, ...] = (
    Condition(
        name="sunny_red",
        train_share=0.55,
        description="clear sky, hard sun and shadows, red apples",
        zoom=(0.9, 1.15),
        canopy_top=(0.02, 0.32),
        canopy_bottom=(0.76, 0.9),
        load=(1.5, 6.5),
        bare_share=0.06,
        sky_top=(86, 146, 230),
        sky_horizon=(182, 212, 244),
        far_trees=(70, 105, 60),
        grass=(96, 150, 52),
        soil=(124, 100, 76),
        leaf_dark=(16, 42, 14),
        leaf_light=(128, 172, 58),
        varieties=(_weighted(_RED, 0.75), _weighted(_STREAKED, 0.25)),
        light=(-0.48, -0.6, 0.64),
        ambient=0.42,
        diffuse=0.8,
        specular=0.75,
        rim=0.0,
        dapple=0.38,
        gain=(1.04, 1.02, 0.96),
        contrast=1.08,
        haze=(255, 255, 255),
        haze_amount=0.0,
        sun_glow=0.0,
    ),
    Condition(
        name="overcast_mixed",
        train_share=0.25,
        description="grey sky, soft flat light, red and yellow-green apples mixed",
        zoom=(0.9, 1.15),
        canopy_top=(0.0, 0.3),
        canopy_bottom=(0.76, 0.9),
        load=(1.5, 6.5),
        bare_share=0.06,
        sky_top=(196, 200, 206),
        sky_horizon=(226, 228, 230),
        far_trees=(88, 104, 84),
        grass=(98, 132, 70),
        soil=(116, 102, 88),
        leaf_dark=(28, 48, 26),
        leaf_light=(104, 136, 72),
        varieties=(
            _weighted(_STREAKED, 0.3),
            _weighted(_RED, 0.15),
            _weighted(_YELLOW_GREEN, 0.55),
        ),
        light=(-0.2, -0.7, 0.69),
        ambient=0.7,
        diffuse=0.36,
        specular=0.22,
        rim=0.0,
        dapple=0.1,
        gain=(0.98, 1.0, 1.02),
        contrast=0.92,
        haze=(214, 218, 222),
        haze_amount=0.05,
        sun_glow=0.0,
    ),
    Condition(
        name="shade_green",
        train_share=0.10,
        description="trees in shadow, green apples hard to tell from leaves",
        zoom=(0.95, 1.2),
        canopy_top=(-0.25, 0.12),
        canopy_bottom=(0.8, 0.94),
        load=(1.0, 5.0),
        bare_share=0.06,
        sky_top=(150, 170, 186),
        sky_horizon=(188, 198, 200),
        far_trees=(50, 74, 52),
        grass=(70, 106, 48),
        soil=(90, 80, 66),
        leaf_dark=(12, 34, 16),
        leaf_light=(78, 122, 50),
        varieties=(_weighted(_GREEN, 0.8), _weighted(_YELLOW_GREEN, 0.2)),
        light=(0.3, -0.75, 0.59),
        ambient=0.58,
        diffuse=0.32,
        specular=0.12,
        rim=0.0,
        dapple=0.12,
        gain=(0.82, 0.92, 0.86),
        contrast=0.95,
        haze=(60, 80, 70),
        haze_amount=0.04,
        sun_glow=0.0,
    ),
    Condition(
        name="dusk_backlit",
        train_share=0.06,
        description="low sun behind the trees: glare, haze, dark low-contrast fruit",
        zoom=(0.9, 1.15),
        canopy_top=(0.04, 0.34),
        canopy_bottom=(0.76, 0.9),
        load=(1.0, 5.0),
        bare_share=0.06,
        sky_top=(118, 112, 156),
        sky_horizon=(250, 192, 124),
        far_trees=(96, 84, 72),
        grass=(88, 92, 44),
        soil=(100, 80, 64),
        leaf_dark=(22, 26, 14),
        leaf_light=(96, 100, 42),
        varieties=(_weighted(_RED, 0.6), _weighted(_STREAKED, 0.4)),
        light=(0.0, -0.45, -0.89),
        ambient=0.34,
        diffuse=0.2,
        specular=0.0,
        rim=0.55,
        dapple=0.08,
        gain=(1.02, 0.86, 0.72),
        contrast=0.8,
        haze=(236, 178, 116),
        haze_amount=0.15,
        sun_glow=0.9,
    ),
    Condition(
        name="dense_closeup",
        train_share=0.04,
        description="camera close to a heavily loaded tree: big fruit, many apples, no sky",
        zoom=(1.7, 2.3),
        canopy_top=(-0.3, -0.2),
        canopy_bottom=(1.15, 1.3),
        load=(22.0, 32.0),
        bare_share=0.0,
        sky_top=(90, 140, 220),
        sky_horizon=(170, 200, 235),
        far_trees=(30, 60, 28),
        grass=(90, 140, 50),
        soil=(120, 100, 80),
        leaf_dark=(14, 40, 14),
        leaf_light=(124, 170, 60),
        varieties=(_weighted(_RED, 0.5), _weighted(_STREAKED, 0.3), _weighted(_YELLOW_GREEN, 0.2)),
        light=(-0.4, -0.6, 0.69),
        ambient=0.45,
        diffuse=0.75,
        specular=0.6,
        rim=0.0,
        dapple=0.3,
        gain=(1.02, 1.0, 0.96),
        contrast=1.04,
        haze=(255, 255, 255),
        haze_amount=0.0,
        sun_glow=0.0,
    ),
)

CONDITION_NAMES: tuple[str, ...] = tuple(c.name for c in CONDITIONS)


def condition(name: str) -> Condition:
    """The condition called ``name``.

    Raises:
        KeyError: If no condition has that name.
    """
    for cond in CONDITIONS:
        if cond.name == name:
            return cond
    raise KeyError(f"unknown condition {name!r}; known: {', '.join(CONDITION_NAMES)}")
