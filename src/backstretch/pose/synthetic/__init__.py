"""A synthetic performer: a 3-D kinematic body posed from a timeline, seen by a camera.

It produces the landmarks BlazePose would report (picture and world) together with the
truth of what was performed, so the analysis can be tested with known answers and no
pixels. Bodies, timings, faults, camera yaw, noise, dropouts and mirroring are all chosen
by the caller.

Body frame: x = the person's left, y = up, z = forward, origin between the hips.
Camera frame (MediaPipe's): x right, y down, z away from the camera.
"""

from backstretch.pose.synthetic.body import POSE_FIELDS, Body, BodyPose, Camera
from backstretch.pose.synthetic.performer import Performer
from backstretch.pose.synthetic.script import (
    FAULT_POSES,
    MOVEMENTS,
    NON_STRETCH,
    UNSEEN,
    FormLimits,
    RepTruth,
    Script,
    Segment,
    Style,
    non_stretch_script,
    stretch_script,
)

__all__ = [
    "FAULT_POSES",
    "MOVEMENTS",
    "NON_STRETCH",
    "POSE_FIELDS",
    "UNSEEN",
    "Body",
    "BodyPose",
    "Camera",
    "FormLimits",
    "Performer",
    "RepTruth",
    "Script",
    "Segment",
    "Style",
    "non_stretch_script",
    "stretch_script",
]
