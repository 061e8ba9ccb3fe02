"""Load cell, position and temperature sensors: noise, non-linearity, 16-bit quantization."""
import dataclasses

import numpy as np


@dataclasses.dataclass
class SensorParameters:
    """Industrial-class sensor figures (fractions are of full scale)."""

    load_cell_full_scale_kn: float = 294.2
    load_cell_noise_fs: float = 1.0e-4       # 0.01 % FS rms
    load_cell_nonlinearity_fs: float = 2.0e-4  # 0.02 % FS bow, largest at mid-range
    adc_bits: int = 16
    position_noise_mm: float = 0.0005        # LVDT, 0.5 um rms
    temperature_noise_c: float = 0.05


class Sensors:
    """Turns the true state into what the controller's inputs read."""

    def __init__(self, parameters: SensorParameters = None, seed: int = 0):
        self.p = parameters or SensorParameters()
        self.rng = np.random.default_rng(seed)
        self.stuck_force_kn = None
        self._quantum = self.p.load_cell_full_scale_kn / (2 ** self.p.adc_bits - 1)

    def force(self, true_force_kn: float) -> float:
        if self.stuck_force_kn is not None:
            return self.stuck_force_kn
        fs = self.p.load_cell_full_scale_kn
        x = true_force_kn / fs
        bow = self.p.load_cell_nonlinearity_fs * fs * 4.0 * x * (1.0 - x)
        reading = true_force_kn + bow + self.rng.normal(0.0, self.p.load_cell_noise_fs * fs)
        return round(max(reading, 0.0) / self._quantum) * self._quantum

    def position(self, true_mm: float) -> float:
        return true_mm + self.rng.normal(0.0, self.p.position_noise_mm)

    def temperature(self, true_c: float) -> float:
        return true_c + self.rng.normal(0.0, self.p.temperature_noise_c)

    def stick(self, force_kn: float) -> None:
        """Fault injection: the force reading freezes at this value (None unsticks)."""
        self.stuck_force_kn = force_kn
