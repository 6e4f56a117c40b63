"""The mobile app (移动端 App): the phone side, holding the user's keys on the device."""
